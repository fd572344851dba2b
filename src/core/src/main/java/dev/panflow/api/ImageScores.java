package dev.panflow.api;

/**
 * What {@link ImageQuality#score} measured: FID and KID of {@code samples} generated images against
 * {@code referenceImages} images of {@code reference}, each beside its floor, the same figure for
 * as many real images drawn from {@code floorSource} (images the reference does not hold). A
 * model is as good as real data when its figures reach the floor, not zero.
 */
public record ImageScores(int samples, int referenceImages, String reference, String floorSource,
                          double fid, double floorFid, KidEstimate kid, KidEstimate floorKid) {}
