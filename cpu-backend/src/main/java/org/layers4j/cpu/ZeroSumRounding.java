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
