package dev.panflow.ode;

/** What one solve cost: field evaluations (NFE) and steps taken/rejected. */
public record SolveStats(int nfe, int acceptedSteps, int rejectedSteps) {}
