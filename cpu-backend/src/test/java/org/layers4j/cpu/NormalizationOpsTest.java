package org.layers4j.cpu;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/** Batch norm, inference and training, forward and backward, against PyTorch's formulas in double. */
class NormalizationOpsTest extends OpsTestBase {

    static Stream<Arguments> cases() {
        int[][] shapes = {{4, 3, 1}, {2, 5, 7}, {3, 4, 33}, {8, 16, 300}, {2, 3, 5000}, {1, 2, 9}};
        return families().flatMap(f -> Stream.of(shapes).flatMap(s ->
                Stream.of(Arguments.of(f, s, true), Arguments.of(f, s, false))));
    }

    private static float[] data(long seed, int size, double offset, double scale) {
        Random r = new Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (offset + scale * (r.nextFloat() * 2 - 1));
        }
        return a;
    }

    @ParameterizedTest(name = "{0} {1} affine={2}")
    @MethodSource("cases")
    void trainingForwardStatisticsAndBackward(Family f, int[] s, boolean affine) {
        CpuBackend b = backend(f);
        int n = s[0];
        int c = s[1];
        int sp = s[2];
        int m = n * sp;
        double eps = 1e-5;
        double factor = 0.1;
        Shape xs = Shape.of(n, c, sp);
        float[] x = data(1, xs.size(), 3.0, 2.0);
        float[] dy = data(2, xs.size(), 0.2, 1.0);
        float[] w = data(3, c, 1.0, 0.5);
        float[] bias = data(4, c, 0.0, 1.0);
        float[] rm = data(5, c, 0.0, 1.0);
        float[] rv = data(6, c, 2.0, 1.0);
        double[] ey = new double[xs.size()];
        double[] edx = new double[xs.size()];
        double[] emean = new double[c];
        double[] einv = new double[c];
        double[] erm = new double[c];
        double[] erv = new double[c];
        double[] edw = new double[c];
        double[] edb = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < sp; j++) {
                    sum += x[(i * c + ch) * sp + j];
                }
            }
            double mean = sum / m;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < sp; j++) {
                    double d = x[(i * c + ch) * sp + j] - mean;
                    sq += d * d;
                }
            }
            double var = sq / m;
            double inv = 1 / Math.sqrt(var + eps);
            double wc = affine ? w[ch] : 1;
            double bc = affine ? bias[ch] : 0;
            emean[ch] = mean;
            einv[ch] = inv;
            erm[ch] = 0.9 * rm[ch] + 0.1 * mean;
            erv[ch] = 0.9 * rv[ch] + 0.1 * var * m / (m - 1);
            double sdy = 0;
            double sdyx = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < sp; j++) {
                    int k = (i * c + ch) * sp + j;
                    double xh = (x[k] - mean) * inv;
                    ey[k] = xh * wc + bc;
                    sdy += dy[k];
                    sdyx += dy[k] * xh;
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < sp; j++) {
                    int k = (i * c + ch) * sp + j;
                    double xh = (x[k] - mean) * inv;
                    edx[k] = inv * wc / m * (m * dy[k] - sdy - xh * sdyx);
                }
            }
            edw[ch] = sdyx;
            edb[ch] = sdy;
        }
        Shape cs = Shape.of(c);
        try (Tensor xt = b.upload(x, xs); Tensor dyt = b.upload(dy, xs); Tensor wt = b.upload(w, cs);
             Tensor bt = b.upload(bias, cs); Tensor rmt = b.upload(rm, cs); Tensor rvt = b.upload(rv, cs);
             Tensor y = b.upload(data(7, xs.size(), 0, 9), xs); Tensor sm = b.allocate(cs); Tensor si = b.allocate(cs);
             Tensor dx = b.upload(data(8, xs.size(), 0, 9), xs); Tensor dw = b.allocate(cs); Tensor db = b.allocate(cs)) {
            b.normalization().batchNormTraining(xt, affine ? wt : null, affine ? bt : null, eps, factor, rmt, rvt, y, sm, si);
            TestSupport.assertClose(ey, y.toArray());
            TestSupport.assertClose(emean, sm.toArray());
            TestSupport.assertClose(einv, si.toArray());
            TestSupport.assertClose(erm, rmt.toArray());
            TestSupport.assertClose(erv, rvt.toArray());
            b.normalization().batchNormTrainingBackward(xt, dyt, affine ? wt : null, sm, si, dx,
                    affine ? dw : null, affine ? db : null);
            TestSupport.assertClose(edx, dx.toArray());
            if (affine) {
                TestSupport.assertClose(edw, dw.toArray());
                TestSupport.assertClose(edb, db.toArray());
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} affine={2}")
    @MethodSource("cases")
    void inferenceForwardAndBackward(Family f, int[] s, boolean affine) {
        CpuBackend b = backend(f);
        int n = s[0];
        int c = s[1];
        int sp = s[2];
        double eps = 1e-3;
        Shape xs = Shape.of(n, c, sp);
        float[] x = data(11, xs.size(), -1.0, 3.0);
        float[] dy = data(12, xs.size(), 0.0, 1.0);
        float[] mean = data(13, c, 0.0, 1.0);
        float[] var = data(14, c, 1.5, 1.0);
        float[] w = data(15, c, 1.0, 0.5);
        float[] bias = data(16, c, 0.0, 1.0);
        double[] ey = new double[xs.size()];
        double[] edx = new double[xs.size()];
        double[] edw = new double[c];
        double[] edb = new double[c];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                double inv = 1 / Math.sqrt(var[ch] + eps);
                double wc = affine ? w[ch] : 1;
                for (int j = 0; j < sp; j++) {
                    int k = (i * c + ch) * sp + j;
                    ey[k] = (x[k] - mean[ch]) * inv * wc + (affine ? bias[ch] : 0);
                    edx[k] = dy[k] * wc * inv;
                    edw[ch] += dy[k] * (x[k] - mean[ch]) * inv;
                    edb[ch] += dy[k];
                }
            }
        }
        Shape cs = Shape.of(c);
        try (Tensor xt = b.upload(x, xs); Tensor dyt = b.upload(dy, xs); Tensor mt = b.upload(mean, cs);
             Tensor vt = b.upload(var, cs); Tensor wt = b.upload(w, cs); Tensor bt = b.upload(bias, cs);
             Tensor y = b.allocate(xs); Tensor dx = b.allocate(xs); Tensor dw = b.allocate(cs); Tensor db = b.allocate(cs)) {
            b.normalization().batchNormInference(xt, mt, vt, affine ? wt : null, affine ? bt : null, eps, y);
            TestSupport.assertClose(ey, y.toArray());
            b.normalization().batchNormInferenceBackward(xt, dyt, mt, vt, affine ? wt : null, eps, dx,
                    affine ? dw : null, affine ? db : null);
            TestSupport.assertClose(edx, dx.toArray());
            if (affine) {
                TestSupport.assertClose(edw, dw.toArray());
                TestSupport.assertClose(edb, db.toArray());
            }
        }
    }
}
