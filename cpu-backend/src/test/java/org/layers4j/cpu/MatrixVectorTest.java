package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.UnaryOp;

/**
 * The squeeze-excitation layers (1 x 1 convolutions of 1 x 1 planes): {@link Kernels#dots} gives every input the bits
 * of {@link Kernels#dot}, and every output of a batch of images is bit for bit its dot, plus its channel's bias, plus
 * its residual, through the activation (ReLU, SiLU, Hardsigmoid), the order {@link Epilogue#store} gives, on the
 * vector kernels of this build's width, for lengths around the kernels' steps, odd image counts, groups and inputs of
 * mixed magnitudes.
 */
class MatrixVectorTest {
    private static final Kernels VECTOR = Kernels.select("vector");

    @Test
    void dotsGiveEveryInputTheBitsOfItsOwnDot() {
        Random r = new Random(3);
        for (int len : new int[] {1, 5, 15, 16, 17, 48, 63, 64, 65, 130, 1152}) {
            for (int count = 1; count <= 5; count++) {
                int stride = len + 3;
                float[] w = values(r, 2 + len);
                float[] x = values(r, 1 + count * stride);
                float[] out = new float[2 + 3 * count];
                VECTOR.dots(len, w, 2, x, 1, stride, count, out, 2, 3);
                for (int i = 0; i < count; i++) {
                    float want = VECTOR.dot(len, w, 2, x, 1 + i * stride);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out[2 + 3 * i]),
                            "len " + len + ", " + count + " inputs, input " + i);
                }
            }
        }
    }

    @Test
    void everyOutputIsItsDotThenTheEpilogueBitForBit() {
        Random r = new Random(4);
        UnaryOp[] ops = {null, UnaryOp.of(UnaryOp.Kind.SILU), UnaryOp.of(UnaryOp.Kind.HARDSIGMOID)};
        try (CpuBackend be = new CpuBackend(Config.load().with(Config.CPU_THREADS, "3"))) {
            for (int[] s : new int[][] {{7, 48, 1152, 1}, {3, 1152, 48, 1}, {5, 20, 70, 1}, {4, 24, 36, 2}, {1, 96, 4, 1}}) {
                int n = s[0];
                int c = s[1];
                int k = s[2];
                int groups = s[3];
                int cg = c / groups;
                int kg = k / groups;
                for (int e = 0; e < 5; e++) {
                    boolean residual = e >= 3;
                    boolean relu = e == 4;
                    UnaryOp op = e < 3 ? ops[e] : null;
                    float[] x = values(r, n * c);
                    float[] w = values(r, k * cg);
                    float[] bias = values(r, k);
                    float[] res = values(r, n * k);
                    ConvGeometry g = new ConvGeometry(n, c, 1, 1, k, 1, 1, 1, 1, 0, 0, 1, 1, groups);
                    float[] y;
                    try (Tensor xt = be.upload(x, Shape.of(n, c, 1, 1)); Tensor raw = be.upload(w, Shape.of(k, cg, 1, 1));
                         Tensor wt = be.convolution().prepareWeights(raw, groups); Tensor bt = be.upload(bias, Shape.of(k));
                         Tensor rt = be.upload(res, Shape.of(n, k, 1, 1)); Tensor yt = be.allocate(Shape.of(n, k, 1, 1))) {
                        ConvEpilogue ep = new ConvEpilogue(null, relu, op);
                        be.convolution().forward(g, xt, wt, bt, residual ? ep.withResidual(rt) : ep, yt);
                        y = yt.toArray();
                    }
                    for (int img = 0; img < n; img++) {
                        for (int o = 0; o < k; o++) {
                            float v = VECTOR.dot(cg, w, o * cg, x, img * c + o / kg * cg) + bias[o];
                            if (residual) {
                                v += res[img * k + o];
                            }
                            if (relu) {
                                v = v <= 0f ? 0f : v;
                            } else if (op != null) {
                                v = op.kind() == UnaryOp.Kind.SILU ? v * DetMath.sigmoid(v) : UnaryKernels.forward(op, v);
                            }
                            assertEquals(Float.floatToRawIntBits(v), Float.floatToRawIntBits(y[img * k + o]),
                                    java.util.Arrays.toString(s) + ", epilogue " + e + ", image " + img + ", output " + o);
                        }
                    }
                }
            }
        }
    }

    /** Gaussian values, every third one a thousand times larger, so that another summation order rounds differently. */
    private static float[] values(Random r, int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = (float) r.nextGaussian() * (i % 3 == 1 ? 1000f : 1f);
        }
        return v;
    }
}
