package org.layers4j.nn;

import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * Parameter initialization shared by the layers: PyTorch's distributions from a seedable RNG. Inside a
 * {@link #skip()} scope (loading a model file, whose strict state_dict then replaces every value) the
 * distributions return zeros without drawing: a loaded model is never randomly initialized first.
 */
public final class Init {
    private static final ThreadLocal<int[]> SKIPPING = ThreadLocal.withInitial(() -> new int[1]);

    private Init() {
    }

    /** A scope (per thread, nestable) in which {@link #uniform} and {@link #normal} return zeros. */
    public static Skip skip() {
        SKIPPING.get()[0]++;
        return new Skip();
    }

    /** Closes a {@link #skip()} scope. */
    public static final class Skip implements AutoCloseable {
        private boolean closed;

        private Skip() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                SKIPPING.get()[0]--;
            }
        }
    }

    private static boolean skipping() {
        return SKIPPING.get()[0] > 0;
    }

    /** n values uniform in [-bound, bound) (zeros inside a {@link #skip()} scope). */
    public static float[] uniform(SplittableRandom rng, int n, double bound) {
        float[] v = new float[n];
        if (skipping()) {
            return v;
        }
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /**
     * A new tensor of {@code shape} on {@code backend}, uniform in [-bound, bound) as {@link #uniform(SplittableRandom,
     * int, double)} draws it; inside a {@link #skip()} scope a zero tensor that is neither drawn nor copied (the CPU
     * backend creates its array only when first used, so a value a loader replaces at once costs no memory).
     */
    public static Tensor uniform(Backend backend, SplittableRandom rng, Shape shape, double bound) {
        if (skipping()) {
            return backend.allocate(shape);
        }
        return backend.upload(uniform(rng, shape.size(), bound), shape);
    }

    /** n values from the standard normal distribution (PyTorch's Embedding init; zeros inside {@link #skip()}). */
    public static float[] normal(SplittableRandom rng, int n) {
        float[] v = new float[n];
        if (skipping()) {
            return v;
        }
        for (int i = 0; i < n; i += 2) {
            // Box-Muller: two independent normals per pair of uniforms
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1));
            v[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                v[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
            }
        }
        return v;
    }

    /** n copies of value. */
    public static float[] filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }
}
