package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.spi.Backend;

/**
 * Issue 10: the README's rule for non-finite values next to zero padding. Implicit zero padding (the
 * symmetric padding of a convolution) contributes nothing, even next to an infinite or NaN weight or
 * gradient; explicitly padded elements (reflect / replicate / circular, and the extra zero that 'same'
 * pads after the input when its total is odd) are real inputs, so 0 · ∞ = NaN there. That is PyTorch's
 * float32 result on its default CPU path (oneDNN, used for batches of 2 and more) and on CUDA (cuDNN);
 * the values below are PyTorch 1.13's for a batch of 2. layers4j gives them for every batch size.
 */
class NonFiniteRuleTest {
    private static final float INF = Float.POSITIVE_INFINITY;
    private final Backend be = Backends.get("cpu");

    private Tensor ones(int... dims) {
        float[] v = new float[Shape.of(dims).size()];
        Arrays.fill(v, 1f);
        return be.upload(v, Shape.of(dims));
    }

    /** A bias-free Conv2d(3, 4) with all-ones weights but for the given flat weight indices set to {@code v}. */
    private Conv2d conv(ConvBuilder<Conv2d> b, float v, int... at) {
        Conv2d c = b.bias(false).backend(be).build();
        float[] w = new float[c.weight().shape().size()];
        Arrays.fill(w, 1f);
        for (int i : at) {
            w[i] = v;
        }
        c.setParameter("weight", w);
        return c;
    }

    private static float[] row(Tensor y, int img, int ch, int r) {
        Shape s = y.shape();
        int at = ((img * s.dim(1) + ch) * s.dim(2) + r) * s.dim(3);
        return Arrays.copyOfRange(y.toArray(), at, at + s.dim(3));
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 2})
    void anInfiniteWeightNextToSamePaddingOfAnEvenKernel(int n) {
        // weight [4, 3, 4, 4]: w[0, 0, 0, 0] and w[1, 0, 3, 3] infinite; 'same' pads 1 before (implicit) and 2 after
        // (1 implicit + 1 explicit zero): the top-left tap of output row 0 and the bottom-right tap of the last row
        // only meet implicit padding, so those rows stay finite
        try (Conv2d c = conv(Conv2d.builder(3, 4, 4).padding("same"), INF, 0, 48 + 15);
             Tensor x = ones(n, 3, 6, 6); Tensor y = c.forward(x)) {
            assertArrayEquals(new float[] {27, 36, 36, 36, 27, 18}, row(y, 0, 0, 0));
            assertArrayEquals(new float[] {18, 24, 24, 24, 18, 12}, row(y, 0, 1, 5));
        }
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 2})
    void aNanWeightNextToImplicitPadding(int n) {
        try (Conv2d c = conv(Conv2d.builder(3, 4, 3).padding(1), Float.NaN, 0);
             Tensor x = ones(n, 3, 6, 6); Tensor y = c.forward(x)) {
            assertArrayEquals(new float[] {12, 18, 18, 18, 18, 12}, row(y, 0, 0, 0));
        }
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {2})
    void anInfiniteGradOutputNextToImplicitPadding(int n) {
        // dy all ones but dy[0, 0, 0, 0] = inf: the weight taps that meet only padding at output (0, 0) stay finite
        try (Conv2d c = conv(Conv2d.builder(3, 4, 3).padding(1), 1f); Tensor x = ones(n, 3, 6, 6)) {
            float[] dy = new float[n * 4 * 36];
            Arrays.fill(dy, 1f);
            dy[0] = INF;
            try (Tensor g = be.upload(dy, Shape.of(n, 4, 6, 6)); Gradients grads = c.backward(x, g)) {
                float[] dw = Arrays.copyOfRange(grads.weight().toArray(), 0, 9);
                assertArrayEquals(new float[] {50, 60, 50, 60, INF, INF, 50, INF, INF}, dw);
            }
        }
    }
}
