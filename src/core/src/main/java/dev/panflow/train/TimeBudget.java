package dev.panflow.train;

/**
 * A time-budgeted run's clock arithmetic: when to estimate the total steps and when to stop.
 * The estimates come at 5, 25, 50, 75 and 90 % of the budget (the first not before the warm-up
 * and 20 steps), each from the rate since the one before (the first from the second half of its
 * stretch, so the JIT's first compilations and page-in are left out); the lr schedule's horizon
 * follows them. The run stops at the budget, not at an estimate: a rate that rises after the
 * last estimate (the JIT, or a busy machine going quiet) would otherwise end it early, as the
 * first version did. Steps past the horizon run at the schedule's final lr. Times are
 * {@code System.nanoTime()}-style nanoseconds from any clock; nothing here reads one.
 */
public final class TimeBudget {
    private static final double[] ESTIMATE_AT = {0.05, 0.25, 0.5, 0.75, 0.9};
    private static final int MIN_STEPS = 20; // steps between estimates: fewer measure noise

    private final long began, budgetNanos, deadline, firstStep, cap;
    private int next;          // the next estimate's index in ESTIMATE_AT
    private long s1 = -1, t1;  // the step and time the next rate is measured from
    private long estimate = -1;
    private double rate = Double.NaN;

    /**
     * @param began when the run began; {@code budgetNanos} after it the run stops
     * @param firstStep the first estimate is not before this step (the end of the warm-up, and
     *        at least 20 steps into the run)
     * @param cap an upper bound on the steps (the configured steps)
     */
    public TimeBudget(long began, long budgetNanos, long firstStep, long cap) {
        if (budgetNanos <= 0) throw new IllegalArgumentException("budget " + budgetNanos + " ns");
        this.began = began;
        this.budgetNanos = budgetNanos;
        this.deadline = began + budgetNanos;
        this.firstStep = firstStep;
        this.cap = cap;
    }

    /**
     * After step {@code k} finished at {@code now}: true when a new estimate was made
     * ({@link #estimate()}, {@link #rate()}). Allocates nothing.
     */
    public boolean afterStep(long k, long now) {
        if (next >= ESTIMATE_AT.length) return false;
        long elapsed = now - began;
        if (s1 < 0) {
            if (elapsed >= (long) (budgetNanos * ESTIMATE_AT[0] / 2)) {
                s1 = k;
                t1 = now;
            }
            return false;
        }
        if (k < s1 + MIN_STEPS || k < firstStep || elapsed < (long) (budgetNanos * ESTIMATE_AT[next])) return false;
        rate = (k - s1) / Math.max((now - t1) * 1e-9, 1e-9);
        double more = rate * Math.max(0, deadline - now) * 1e-9;
        estimate = Math.max(k, Math.min(cap, k + (long) Math.min(more, (double) (Long.MAX_VALUE / 2))));
        s1 = k;
        t1 = now;
        while (next < ESTIMATE_AT.length && elapsed >= (long) (budgetNanos * ESTIMATE_AT[next])) next++; // a slow step may pass several
        return true;
    }

    /** True at or past the budget. */
    public boolean over(long now) { return now - deadline >= 0; }

    /** The last estimate of the run's total steps (at most the cap); −1 before the first. */
    public long estimate() { return estimate; }

    /** The steps per second the last estimate was made from; NaN before the first. */
    public double rate() { return rate; }

    /** True once the first estimate was made. */
    public boolean estimated() { return estimate >= 0; }
}
