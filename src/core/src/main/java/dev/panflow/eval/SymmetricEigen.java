package dev.panflow.eval;

/**
 * Eigen-decomposition A = V·diag(λ)·Vᵀ of a real symmetric matrix, in double, by cyclic Jacobi
 * rotations: each rotation zeroes one off-diagonal pair; sweeps repeat until the off-diagonal
 * mass is below 1e-15 of the total (quadratic convergence, typically 6–10 sweeps).
 */
public record SymmetricEigen(double[] values, double[] vectors, int n) {
    private static final int MAX_SWEEPS = 100;

    /** Eigenvalues λ_k and eigenvectors (column k of the row-major n×n {@code vectors}) of {@code a} (row-major, symmetric; not changed). */
    public static SymmetricEigen of(double[] a, int n) {
        if (a.length != (long) n * n) throw new IllegalArgumentException("matrix of " + a.length + " values is not " + n + "×" + n);
        double[] m = a.clone();
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        double total = 0;
        for (double x : m) total += x * x;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
            if (off <= 1e-30 * Math.max(total, Double.MIN_NORMAL)) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) rotate(m, v, n, p, q);
        }
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = m[i * n + i];
        return new SymmetricEigen(lambda, v, n);
    }

    /** One Jacobi rotation in the (p, q) plane that zeroes m[p][q] (Golub and Van Loan, Alg. 8.4.1). */
    private static void rotate(double[] m, double[] v, int n, int p, int q) {
        double apq = m[p * n + q];
        if (apq == 0) return;
        double app = m[p * n + p], aqq = m[q * n + q];
        double tau = (aqq - app) / (2 * apq);
        double t = Math.signum(tau) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        if (tau == 0) t = 1;
        double c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (int k = 0; k < n; k++) { // columns p, q of M·J
            double mkp = m[k * n + p], mkq = m[k * n + q];
            m[k * n + p] = c * mkp - s * mkq;
            m[k * n + q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < n; k++) { // rows p, q of Jᵀ·(M·J)
            double mpk = m[p * n + k], mqk = m[q * n + k];
            m[p * n + k] = c * mpk - s * mqk;
            m[q * n + k] = s * mpk + c * mqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (int k = 0; k < n; k++) {
            double vkp = v[k * n + p], vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }

    /** V·diag(f(λ))·Vᵀ with f(λ) = √max(λ, 0): the PSD square root (negative round-off eigenvalues clipped). */
    public double[] sqrtMatrix() {
        double[] f = new double[n];
        for (int k = 0; k < n; k++) f[k] = Math.sqrt(Math.max(values[k], 0));
        return apply(f);
    }

    /** V·diag(f)·Vᵀ. */
    public double[] apply(double[] f) {
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) s += vectors[i * n + k] * f[k] * vectors[j * n + k];
                out[i * n + j] = s;
                out[j * n + i] = s;
            }
        return out;
    }
}
