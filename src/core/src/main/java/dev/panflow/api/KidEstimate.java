package dev.panflow.api;

/** A KID figure: the mean and standard deviation over {@code subsets} draws of {@code subsetSize} rows from each set. */
public record KidEstimate(double mean, double std, int subsets, int subsetSize) {}
