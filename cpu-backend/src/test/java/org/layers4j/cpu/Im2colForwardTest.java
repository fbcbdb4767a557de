package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.UnaryOp;

/**
 * The batch im2col forward (packing from the zero-bordered input copy, weight rows split in two parts where the panels
 * would leave a thread idle, stores per channel and image through the epilogue) gives, bit for bit, each output as
 * one accumulation over the taps in weight order (fused multiply-adds on the vector kernels, a product then a sum on
 * the scalar ones, padding taps multiplying zero) followed by the epilogue of that one value. Random small-plane
 * geometries (strides, dilation, paddings wider than the kernel, groups, odd channel counts), both kernel families,
 * 1 to 3 threads, bias with ReLU, a residual, SiLU. ConvolutionTest checks the values against a float64 reference.
 */
class Im2colForwardTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(12072026);
        for (String kernels : new String[] {"vector", "scalar"}) {
            for (int i = 0; i < 24; i++) {
                int groups = 1 + r.nextInt(2);
                int cg = 1 + r.nextInt(40);
                int kg = 1 + r.nextInt(70);
                int kh = 1 + r.nextInt(3);
                int kw = 1 + r.nextInt(3);
                int s = 1 + r.nextInt(2);
                int d = 1 + r.nextInt(2);
                int h = 1 + r.nextInt(9);
                int w = 1 + r.nextInt(9);
                int ph = r.nextInt(kh + 1);
                int pw = r.nextInt(kw + 1);
                if (h + 2 * ph - d * (kh - 1) <= 0 || w + 2 * pw - d * (kw - 1) <= 0) {
                    i--;
                    continue;
                }
                ConvGeometry g = new ConvGeometry(2 + r.nextInt(9), groups * cg, h, w, groups * kg, kh, kw, s, s, ph,
                        pw, d, d, groups);
                out.add(Arguments.of(kernels, g, i % 3));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1} epilogue {2}")
    @MethodSource("cases")
    void batchGemmGivesOneAccumulationPerOutput(String kernels, ConvGeometry g, int epilogue) {
        Kernels kn = Kernels.select(kernels);
        float[] x = TestSupport.random(31, g.n() * g.c() * g.h() * g.w());
        float[] w = TestSupport.random(32, g.k() * g.cPerGroup() * g.kh() * g.kw());
        float[] bias = TestSupport.random(33, g.k());
        int outSize = g.n() * g.k() * g.outH() * g.outW();
        float[] residual = TestSupport.random(34, outSize);
        Epilogue ep = switch (epilogue) {
            case 0 -> Epilogue.of(kn, bias, null, true, null);
            case 1 -> Epilogue.of(kn, bias, residual, true, null);
            default -> Epilogue.of(kn, null, null, false, UnaryOp.of(UnaryOp.Kind.SILU));
        };
        float[] expected = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (ParallelRunner runner = new ParallelRunner(threads)) {
                Im2colConvolution im2col = new Im2colConvolution(kn, runner, new IndirectConvolution(kn, runner));
                if (expected == null) {
                    expected = reference(kernels.equals("vector"), im2col.classes(g) != null, g, x, w, ep);
                }
                float[] y = TestSupport.random(36, outSize);
                im2col.forward(g, x, ConvWeights.of(w), ep, y);
                assertArrayEquals(expected, y, threads + " threads, " + g);
            }
        }
    }

    private static float[] reference(boolean fused, boolean tapMajor, ConvGeometry g, float[] x, float[] w,
                                     Epilogue ep) {
        int oh = g.outH();
        int ow = g.outW();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        float[] y = new float[g.n() * g.k() * oh * ow];
        for (int img = 0; img < g.n(); img++) {
            for (int k = 0; k < g.k(); k++) {
                int grp = k / kg;
                for (int r = 0; r < oh; r++) {
                    for (int c = 0; c < ow; c++) {
                        float acc = 0f;
                        int taps = g.kh() * g.kw();
                        for (int t = 0; t < cg * taps; t++) {
                            // weight order (ci, i, j), or tap-major (i, j, ci) over the taps inside the input
                            int ci = tapMajor ? t % cg : t / taps;
                            int i = (tapMajor ? t / cg : t % taps) / g.kw();
                            int j = (tapMajor ? t / cg : t % taps) % g.kw();
                            int ih = r * g.strideH() - g.padH() + i * g.dilationH();
                            int iw = c * g.strideW() - g.padW() + j * g.dilationW();
                            boolean inside = ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w();
                            if (tapMajor && !inside) {
                                continue;
                            }
                            float xv = inside ? x[((img * g.c() + grp * cg + ci) * g.h() + ih) * g.w() + iw] : 0f;
                            float wv = w[((k * cg + ci) * g.kh() + i) * g.kw() + j];
                            acc = fused ? Math.fma(wv, xv, acc) : acc + wv * xv;
                        }
                        int at = ((img * g.k() + k) * oh + r) * ow + c;
                        y[at] = ep.element(acc, k, at);
                    }
                }
            }
        }
        return y;
    }
}
