package org.layers4j.cpu;

/**
 * Writes batch norm's training-mode input gradient {@code dx = alpha * dy + beta * (x - mean) + gamma}
 * for one channel so that its float32 values sum to zero, as the exact gradient does (the batch
 * statistics make dx orthogonal to a constant). Rounding each element separately would leave a sum of
 * float32 noise (about 1e-8 of the values), which is all that reaches a bias before the BatchNorm
 * (conv → bn is the common case) and which Adam's normalization m / (sqrt(v) + eps) then turns into
 * steps of the full learning rate where PyTorch's float64 reference barely moves. So: each element in
 * double, the double sum's mean removed (it is rounding of the saved mean, not gradient), rounded to
 * nearest, and then just enough elements rounded the other way (each stays within 1 ulp of its double
 * value) to bring the float sum's error below the smallest ulp reachable.
 *
 * <p>These are scalar double-precision passes (about 6 ns a value in all), so they run for channels of up to
 * {@link #MAX_VALUES} values per batch — the small, late layers and the MLP / small-CNN cases where a
 * bias before BatchNorm meets Adam; a channel of ResNet-18's first layers (8 x 112 x 112 = 100,352
 * values) takes the vector kernel, with float32 rounding as PyTorch's CPU kernels have.
 */
final class ZeroSumRounding {
    /** The largest channel (n * s values) that gets the zero-sum rounding. */
    static final int MAX_VALUES = 1 << 14;

    private ZeroSumRounding() {
    }

    static void write(float[] d, float[] g, float[] x, int n, int c, int ch, int s, double alpha, double beta,
                      float mean, double gamma) {
        double m = (double) n * s;
        double sum = 0;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * s;
            for (int i = off; i < off + s; i++) {
                sum += alpha * g[i] + beta * (x[i] - mean) + gamma;
            }
        }
        double shift = gamma - sum / m;
        double err = 0; // sum of (float - double) over the channel
        // the smallest rounded |value| (its ulp is the smallest ulp), kept as the raw bits of |f|: for non-NaN
        // floats of one sign the int order is the float order, and an int min is a one-cycle select where
        // Math.min(float) is a NaN/-0 aware sequence on the loop's carried chain (JFR put this pass's samples
        // on that line; a microbenchmark of this change alone showed no measurable difference, the flip-pass
        // skip below is what halved the kernel). A NaN f makes err NaN, which stops the flip loop before
        // minStep matters.
        int minAbsBits = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * s;
            for (int i = off; i < off + s; i++) {
                double v = alpha * g[i] + beta * (x[i] - mean) + shift;
                float f = (float) v;
                d[i] = f;
                err += f - v;
                int absBits = Float.floatToRawIntBits(f) & Integer.MAX_VALUE;
                minAbsBits = f != v ? Math.min(minAbsBits, absBits) : minAbsBits;
            }
        }
        flip(d, g, x, n, c, ch, s, alpha, beta, mean, shift, err, minAbsBits);
    }

    /**
     * {@link #write} for the four channels ch .. ch + 3 at once, each with its own coefficients: the same
     * operations in the same order per channel (so the same bits), with the four channels' sums of the first two
     * passes interleaved in one loop. Each of those sums is a chain of dependent float64 additions, which one channel
     * at a time runs at the adder's latency; four independent chains run at its throughput.
     */
    static void writeFour(float[] d, float[] g, float[] x, int n, int c, int ch, int s, double[] alpha,
                          double[] beta, float[] mean, double[] gamma) {
        double m = (double) n * s;
        double a0 = alpha[0];
        double a1 = alpha[1];
        double a2 = alpha[2];
        double a3 = alpha[3];
        double b0 = beta[0];
        double b1 = beta[1];
        double b2 = beta[2];
        double b3 = beta[3];
        float m0 = mean[0];
        float m1 = mean[1];
        float m2 = mean[2];
        float m3 = mean[3];
        double y0 = gamma[0];
        double y1 = gamma[1];
        double y2 = gamma[2];
        double y3 = gamma[3];
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        for (int img = 0; img < n; img++) {
            int o = (img * c + ch) * s;
            for (int i = o; i < o + s; i++) {
                s0 += a0 * g[i] + b0 * (x[i] - m0) + y0;
                s1 += a1 * g[i + s] + b1 * (x[i + s] - m1) + y1;
                s2 += a2 * g[i + 2 * s] + b2 * (x[i + 2 * s] - m2) + y2;
                s3 += a3 * g[i + 3 * s] + b3 * (x[i + 3 * s] - m3) + y3;
            }
        }
        double h0 = y0 - s0 / m;
        double h1 = y1 - s1 / m;
        double h2 = y2 - s2 / m;
        double h3 = y3 - s3 / m;
        double e0 = 0;
        double e1 = 0;
        double e2 = 0;
        double e3 = 0;
        int inf = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);
        int n0 = inf;
        int n1 = inf;
        int n2 = inf;
        int n3 = inf;
        for (int img = 0; img < n; img++) {
            int o = (img * c + ch) * s;
            for (int i = o; i < o + s; i++) {
                double v0 = a0 * g[i] + b0 * (x[i] - m0) + h0;
                double v1 = a1 * g[i + s] + b1 * (x[i + s] - m1) + h1;
                double v2 = a2 * g[i + 2 * s] + b2 * (x[i + 2 * s] - m2) + h2;
                double v3 = a3 * g[i + 3 * s] + b3 * (x[i + 3 * s] - m3) + h3;
                float f0 = (float) v0;
                float f1 = (float) v1;
                float f2 = (float) v2;
                float f3 = (float) v3;
                d[i] = f0;
                d[i + s] = f1;
                d[i + 2 * s] = f2;
                d[i + 3 * s] = f3;
                e0 += f0 - v0;
                e1 += f1 - v1;
                e2 += f2 - v2;
                e3 += f3 - v3;
                n0 = f0 != v0 ? Math.min(n0, Float.floatToRawIntBits(f0) & Integer.MAX_VALUE) : n0;
                n1 = f1 != v1 ? Math.min(n1, Float.floatToRawIntBits(f1) & Integer.MAX_VALUE) : n1;
                n2 = f2 != v2 ? Math.min(n2, Float.floatToRawIntBits(f2) & Integer.MAX_VALUE) : n2;
                n3 = f3 != v3 ? Math.min(n3, Float.floatToRawIntBits(f3) & Integer.MAX_VALUE) : n3;
            }
        }
        flip(d, g, x, n, c, ch, s, a0, b0, m0, h0, e0, n0);
        flip(d, g, x, n, c, ch + 1, s, a1, b1, m1, h1, e1, n1);
        flip(d, g, x, n, c, ch + 2, s, a2, b2, m2, h2, e2, n2);
        flip(d, g, x, n, c, ch + 3, s, a3, b3, m3, h3, e3, n3);
    }

    /**
     * The third pass of {@link #write}: channel ch's values d, rounded to nearest from alpha g + beta (x - mean) +
     * shift with a total error err against their float64 values and the smallest inexact |value| minAbsBits (raw
     * bits), get just enough of their roundings flipped to bring the float sum's error below the smallest ulp.
     */
    private static void flip(float[] d, float[] g, float[] x, int n, int c, int ch, int s, double alpha, double beta,
                             float mean, double shift, double err, int minAbsBits) {
        float minAbs = Float.intBitsToFloat(minAbsBits);
        // a lower bound of every flip's step: half an ulp (the step down from a power of two)
        float minStep = Math.ulp(minAbs) * 0.5f;
        // flip roundings that move the sum toward zero, until no flip reduces |err|: a flip moves err toward
        // zero by its step (at least minStep), which helps only while the step is below 2 |err|
        //
        // Most elements cannot help: a flip moves f by at least half its ulp, which is at least |f| * 2^-25, and
        // a step of 2 |err| or more leaves |err| no smaller (rounding is monotonic, so neither does the double
        // sum). Such an element (|f| >= 2 |err| 2^25, infinities included) is skipped on that one compare
        // instead of recomputing v and taking the unpredictable rounding-direction branches; every element
        // that could flip still takes the full test in order, so the result is the same bit for bit.
        double skipAbove = 2 * Math.abs(err) * 0x1p25;
        for (int img = 0; img < n && 2 * Math.abs(err) > minStep; img++) {
            int off = (img * c + ch) * s;
            for (int i = off; i < off + s && 2 * Math.abs(err) > minStep; i++) {
                float f = d[i];
                if (Math.abs(f) >= skipAbove) {
                    continue;
                }
                double v = alpha * g[i] + beta * (x[i] - mean) + shift;
                float other = err > 0 ? (f > v ? Math.nextDown(f) : f) : (f < v ? Math.nextUp(f) : f);
                if (other != f && Float.isFinite(other)) {
                    double next = err + ((double) other - f);
                    if (Math.abs(next) < Math.abs(err)) {
                        d[i] = other;
                        err = next;
                        skipAbove = 2 * Math.abs(err) * 0x1p25;
                    }
                }
            }
        }
    }
}
