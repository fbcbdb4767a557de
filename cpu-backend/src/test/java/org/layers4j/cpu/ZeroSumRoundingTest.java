package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ZeroSumRounding's written gradient, bit for bit, against the original formulation (a float
 * {@code Math.min} over |f| for the smallest ulp, which the kernel replaced by an int min over the raw bits
 * for speed): random channels of many scales, and channels holding zeros, exact values, infinities and NaN; and
 * four channels at once ({@link ZeroSumRounding#writeFour}) against the reference per channel.
 */
class ZeroSumRoundingTest {

    /** The kernel as first written (kept here as the bit-exact reference). */
    private static void reference(float[] d, float[] g, float[] x, int n, int c, int ch, int s, double alpha,
                                  double beta, float mean, double gamma) {
        double m = (double) n * s;
        double sum = 0;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * s;
            for (int i = off; i < off + s; i++) {
                sum += alpha * g[i] + beta * (x[i] - mean) + gamma;
            }
        }
        double shift = gamma - sum / m;
        double err = 0;
        float minAbs = Float.POSITIVE_INFINITY;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * s;
            for (int i = off; i < off + s; i++) {
                double v = alpha * g[i] + beta * (x[i] - mean) + shift;
                float f = (float) v;
                d[i] = f;
                err += f - v;
                if (f != v) {
                    minAbs = Math.min(minAbs, Math.abs(f));
                }
            }
        }
        float minStep = Math.ulp(minAbs) * 0.5f;
        for (int img = 0; img < n && 2 * Math.abs(err) > minStep; img++) {
            int off = (img * c + ch) * s;
            for (int i = off; i < off + s && 2 * Math.abs(err) > minStep; i++) {
                double v = alpha * g[i] + beta * (x[i] - mean) + shift;
                float f = d[i];
                float other = err > 0 ? (f > v ? Math.nextDown(f) : f) : (f < v ? Math.nextUp(f) : f);
                if (other != f && Float.isFinite(other)) {
                    double next = err + ((double) other - f);
                    if (Math.abs(next) < Math.abs(err)) {
                        d[i] = other;
                        err = next;
                    }
                }
            }
        }
    }

    private static void check(float[] g, float[] x, int n, int c, int s, double alpha, double beta, float mean,
                              double gamma) {
        float[] want = new float[g.length];
        float[] got = new float[g.length];
        for (int ch = 0; ch < c; ch++) {
            reference(want, g, x, n, c, ch, s, alpha, beta, mean, gamma);
            ZeroSumRounding.write(got, g, x, n, c, ch, s, alpha, beta, mean, gamma);
        }
        for (int i = 0; i < g.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "element " + i);
        }
    }

    @Test
    void randomChannelsMatchTheReferenceBitForBit() {
        Random r = new Random(21);
        for (int t = 0; t < 60; t++) {
            int n = 1 + r.nextInt(4);
            int c = 1 + r.nextInt(3);
            int s = 1 + r.nextInt(400);
            double scale = Math.pow(10, r.nextInt(13) - 6);
            float[] g = new float[n * c * s];
            float[] x = new float[n * c * s];
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) (scale * r.nextGaussian());
                x[i] = (float) (1 + r.nextGaussian());
                if (r.nextInt(10) == 0) {
                    g[i] = 0f; // some exact (unrounded) values and zeros
                }
            }
            check(g, x, n, c, s, 1.3 + r.nextDouble(), -0.2 * r.nextDouble(), 1f, scale * r.nextGaussian());
        }
    }

    @Test
    void fourChannelsAtOnceMatchTheReferenceBitForBit() {
        Random r = new Random(44);
        for (int t = 0; t < 40; t++) {
            int n = 1 + r.nextInt(4);
            int c = 4 + r.nextInt(6);
            int s = 1 + r.nextInt(300);
            int ch = r.nextInt(c - 3);
            float[] g = new float[n * c * s];
            float[] x = new float[n * c * s];
            double scale = Math.pow(10, r.nextInt(13) - 6);
            for (int i = 0; i < g.length; i++) {
                g[i] = r.nextInt(10) == 0 ? 0f : (float) (scale * r.nextGaussian() * Math.exp(r.nextGaussian()));
                x[i] = t % 7 == 0 && r.nextInt(50) == 0 ? Float.NaN : (float) (1 + r.nextGaussian());
            }
            double[] alpha = new double[4];
            double[] beta = new double[4];
            double[] gamma = new double[4];
            float[] mean = new float[4];
            float[] want = new float[g.length];
            for (int k = 0; k < 4; k++) {
                alpha[k] = 1.3 + r.nextDouble();
                beta[k] = -0.2 * r.nextDouble();
                gamma[k] = scale * r.nextGaussian();
                mean[k] = (float) r.nextGaussian();
                reference(want, g, x, n, c, ch + k, s, alpha[k], beta[k], mean[k], gamma[k]);
            }
            float[] got = new float[g.length];
            ZeroSumRounding.writeFour(got, g, x, n, c, ch, s, alpha, beta, mean, gamma);
            for (int i = 0; i < g.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "case " + t + " element " + i);
            }
        }
    }

    @Test
    void resNetSizedChannelsMatchTheReferenceBitForBit() {
        // 8 x 28 x 28 values a channel (ResNet-18's layer2 at batch 8): the flip pass scans most of it
        Random r = new Random(18);
        int n = 8;
        int c = 3;
        int s = 784;
        float[] g = new float[n * c * s];
        float[] x = new float[n * c * s];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (1e-3 * r.nextGaussian() * Math.exp(2 * r.nextGaussian()));
            x[i] = (float) r.nextGaussian();
        }
        check(g, x, n, c, s, 1.2, -0.01, 0.1f, 1e-5);
    }

    @Test
    void zerosInfinitiesAndNanMatchTheReference() {
        float[][] specials = {
            {0f, 0f, 0f, 0f},
            {1f, -1f, 2f, -2f},
            {1f, Float.POSITIVE_INFINITY, 3f, 4f},
            {1f, Float.NaN, 3f, 4f},
            {Float.MAX_VALUE, Float.MAX_VALUE, 1e-30f, -Float.MAX_VALUE},
            {1e-45f, -1e-45f, 3e-40f, 0.1f},
        };
        for (float[] g : specials) {
            float[] x = {0.5f, 1.5f, -0.25f, 2f};
            check(g, x, 2, 1, 2, 1.0, 0.0, 0f, 0.0);
            check(g, x, 1, 2, 2, 3.0, -0.1, 0.75f, 1e-3);
            check(g, x, 1, 1, 4, 1e30, 1.0, 0f, 0.0);
        }
    }
}
