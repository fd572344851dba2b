package dev.panflow.eval;

/**
 * FID and KID of generated images against real ones, each beside its floor: the same figures for
 * as many real images, drawn from images the reference does not hold ({@code floorSource}). A
 * model is as good as real data when its figures reach the floor, not zero.
 */
public record FidReport(int samples, int referenceImages, String reference, String floorSource,
                        double fid, double floorFid, KernelDistance.Estimate kid, KernelDistance.Estimate floorKid) {}
