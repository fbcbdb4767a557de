package org.layers4j.nn.functional;

import java.util.random.RandomGenerator;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.internal.PyFormat;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * Random regularization as functions: PyTorch's {@code F.dropout} and torchvision's
 * {@code torchvision.ops.stochastic_depth}. The masks are drawn on the host from the caller's generator (while
 * holding its monitor, so one generator may serve many threads), so every backend drops the same elements for
 * the same seed; PyTorch's own random stream cannot be reproduced. Backward multiplies by the same mask. Without
 * training (or with p = 0) the result is a recorded alias of the input (a new handle on its memory).
 */
public final class Regularization {
    private Regularization() {
    }

    /**
     * {@code F.dropout(x, p, training)}: in training each element is zeroed with probability p (one draw
     * {@code rng.nextDouble() < p} per element, in order) and the rest scaled by 1 / (1 - p); p = 1 gives zeros.
     */
    public static Tensor dropout(Tensor x, double p, boolean training, RandomGenerator rng) {
        Shape s = requireX("dropout", x);
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got "
                    + PyFormat.floatRepr(p));
        }
        if (!training || p == 0) {
            return Functional.reshape(x, s);
        }
        requireRng("dropout", rng);
        float[] m = new float[s.size()];
        float keep = p == 1 ? 0f : (float) (1.0 / (1.0 - p));
        synchronized (rng) {
            for (int i = 0; i < m.length; i++) {
                m[i] = rng.nextDouble() < p ? 0f : keep;
            }
        }
        return masked("Dropout", x, m, s);
    }

    /**
     * {@code torchvision.ops.stochastic_depth(x, p, mode, training)}: in training, mode "row" keeps each sample
     * (index of dimension 0) with probability 1 - p, mode "batch" the whole tensor; kept values are scaled by
     * 1 / (1 - p) and p = 1 gives zeros. One draw {@code rng.nextDouble() < 1 - p} per sample (row) or one in all
     * (batch).
     */
    public static Tensor stochasticDepth(Tensor x, double p, String mode, boolean training, RandomGenerator rng) {
        checkStochasticDepth(p, mode);
        Shape s = requireX("stochastic_depth", x);
        if (!training || p == 0) {
            return Functional.reshape(x, s);
        }
        requireRng("stochastic_depth", rng);
        double survival = 1.0 - p;
        float keep = survival > 0 ? (float) (1.0 / survival) : 0f;
        boolean row = mode.equals("row");
        int samples = row && s.rank() > 0 ? s.dim(0) : 1;
        float[] m = new float[s.size()];
        int per = samples == 0 ? 0 : s.size() / samples;
        synchronized (rng) {
            for (int i = 0; i < samples; i++) {
                float v = rng.nextDouble() < survival ? keep : 0f;
                java.util.Arrays.fill(m, i * per, (i + 1) * per, v);
            }
        }
        return masked("stochastic_depth", x, m, s);
    }

    /** torchvision's argument checks (its messages), as StochasticDepth's constructor runs them too. */
    public static void checkStochasticDepth(double p, String mode) {
        if (!(p >= 0.0 && p <= 1.0)) {
            throw new IllegalArgumentException("drop probability has to be between 0 and 1, but got "
                    + PyFormat.floatRepr(p));
        }
        if (!"batch".equals(mode) && !"row".equals(mode)) {
            throw new IllegalArgumentException("mode has to be either 'batch' or 'row', but got " + mode);
        }
    }

    /** x * mask, recorded with the mask kept for backward (dx = dy * mask). */
    private static Tensor masked(String op, Tensor x, float[] m, Shape s) {
        Backend be = x.backend();
        try (Tensor mask = be.upload(m, s)) {
            Tensor out = Module.compute(be, s, y -> be.elementwise().multiply(x, mask, y), x, mask);
            return Tape.record(op, out, new Tensor[] {x}, new Parameter[0], new Tensor[] {mask},
                    (dy, k) -> new Tensor[] {Module.compute(be, s, dx -> be.elementwise().multiply(dy, k[0], dx), dy,
                            k[0])});
        }
    }

    private static Shape requireX(String op, Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": input must not be null");
        }
        Module.requireOnBackend(op + ": input", x, x.backend());
        if (x.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 input, but got " + x.dtype().torchName()
                    + " input of size " + x.shape().dimsString());
        }
        return x.shape();
    }

    private static void requireRng(String op, RandomGenerator rng) {
        if (rng == null) {
            throw new IllegalArgumentException(op + ": a random generator is needed in training mode (got null)");
        }
    }
}
