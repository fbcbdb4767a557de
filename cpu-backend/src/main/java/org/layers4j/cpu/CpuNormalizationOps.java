package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.NormalizationOps;

/**
 * Batch normalization over [n, c, s], one task per channel (the statistics of a channel are reduced
 * by that task alone: float32 vector sums per plane, combined in double across planes), every plane
 * then written by one vectorized affine pass. Statistics use two passes (mean, then the squared
 * deviations from it), which keeps the variance exact for data far from zero.
 */
final class CpuNormalizationOps implements NormalizationOps {
    /** Below this many elements the channels run on the calling thread. */
    private static final int SERIAL = 1 << 15;

    private final Kernels kn;
    private final PointwiseKernels pk;
    private final ParallelRunner runner;

    CpuNormalizationOps(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.pk = kn.pointwise();
        this.runner = runner;
    }

    @Override
    public void batchNormInference(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] mv = CpuStorage.of(mean);
        float[] vv = CpuStorage.of(var);
        float[] wv = weight == null ? null : CpuStorage.of(weight);
        float[] bv = bias == null ? null : CpuStorage.of(bias);
        float[] yv = CpuStorage.overwrite(y);
        int n = x.shape().dim(0);
        int c = mv.length;
        int s = n == 0 ? 0 : xv.length / (n * c);
        int planes = n * c;
        int per = Math.max(1, SERIAL / Math.max(1, s));
        runner.run((planes + per - 1) / per, t -> {
            int end = Math.min(planes, (t + 1) * per);
            for (int p = t * per; p < end; p++) {
                int ch = p % c;
                double invStd = 1.0 / Math.sqrt(vv[ch] + eps);
                float scale = (float) (invStd * (wv == null ? 1f : wv[ch]));
                pk.affine(s, xv, p * s, mv[ch], scale, bv == null ? 0f : bv[ch], yv, p * s);
            }
        });
    }

    @Override
    public void batchNormTraining(Tensor x, Tensor weight, Tensor bias, double eps, double factor, Tensor runningMean,
                                  Tensor runningVar, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        float[] xv = CpuStorage.of(x);
        float[] wv = weight == null ? null : CpuStorage.of(weight);
        float[] bv = bias == null ? null : CpuStorage.of(bias);
        float[] rm = runningMean == null ? null : CpuStorage.of(runningMean);
        float[] rv = runningVar == null ? null : CpuStorage.of(runningVar);
        float[] yv = CpuStorage.overwrite(y);
        float[] sm = CpuStorage.overwrite(saveMean);
        float[] si = CpuStorage.overwrite(saveInvStd);
        int n = x.shape().dim(0);
        int c = sm.length;
        int s = n == 0 ? 0 : xv.length / (n * c);
        long m = (long) n * s;
        forChannels(c, xv.length, ch -> {
            double sum = 0;
            for (int img = 0; img < n; img++) {
                sum += kn.sum(s, xv, (img * c + ch) * s);
            }
            double mean = sum / m;
            float meanF = (float) mean;
            double sq = 0;
            for (int img = 0; img < n; img++) {
                sq += pk.sumSquaredDeviation(s, xv, (img * c + ch) * s, meanF);
            }
            double var = sq / m;
            double invStd = 1.0 / Math.sqrt(var + eps);
            float scale = (float) (invStd * (wv == null ? 1f : wv[ch]));
            float shift = bv == null ? 0f : bv[ch];
            for (int img = 0; img < n; img++) {
                int off = (img * c + ch) * s;
                pk.affine(s, xv, off, meanF, scale, shift, yv, off);
            }
            sm[ch] = meanF;
            si[ch] = (float) invStd;
            if (rm != null) {
                rm[ch] = (float) ((1 - factor) * rm[ch] + factor * mean);
            }
            if (rv != null) {
                double unbiased = var * m / (m - 1);
                rv[ch] = (float) ((1 - factor) * rv[ch] + factor * unbiased);
            }
        });
    }

    @Override
    public void batchNormTrainingBackward(Tensor x, Tensor dy, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                          Tensor dx, Tensor dWeight, Tensor dBias) {
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] wv = weight == null ? null : CpuStorage.of(weight);
        float[] sm = CpuStorage.of(saveMean);
        float[] si = CpuStorage.of(saveInvStd);
        float[] d = CpuStorage.overwrite(dx);
        float[] dw = dWeight == null ? null : CpuStorage.overwrite(dWeight);
        float[] db = dBias == null ? null : CpuStorage.overwrite(dBias);
        int n = x.shape().dim(0);
        int c = sm.length;
        int s = n == 0 ? 0 : xv.length / (n * c);
        double m = (double) n * s;
        forChannels(c, xv.length, ch -> {
            float mean = sm[ch];
            double invStd = si[ch];
            double sumDy = 0;
            double sumDyXc = 0;
            for (int img = 0; img < n; img++) {
                int off = (img * c + ch) * s;
                sumDy += kn.sum(s, g, off);
                sumDyXc += pk.dotCentered(s, g, off, xv, off, mean);
            }
            double w = wv == null ? 1.0 : wv[ch];
            // dx = invstd*w/m * (m*dy - sum(dy) - xhat*sum(dy*xhat)), xhat = (x - mean)*invstd
            double alpha = invStd * w;
            double beta = -invStd * invStd * invStd * w * sumDyXc / m;
            double gamma = -invStd * w * sumDy / m;
            if (m <= ZeroSumRounding.MAX_VALUES) {
                ZeroSumRounding.write(d, g, xv, n, c, ch, s, alpha, beta, mean, gamma);
            } else {
                // large channels: the vector kernel (a model's big early layers; see ZeroSumRounding)
                for (int img = 0; img < n; img++) {
                    int off = (img * c + ch) * s;
                    pk.combine(s, (float) alpha, g, off, (float) beta, xv, off, mean, (float) gamma, d, off);
                }
            }
            if (dw != null) {
                dw[ch] = (float) (invStd * sumDyXc);
            }
            if (db != null) {
                db[ch] = (float) sumDy;
            }
        });
    }

    @Override
    public void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor mean, Tensor var, Tensor weight, double eps,
                                           Tensor dx, Tensor dWeight, Tensor dBias) {
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] mv = CpuStorage.of(mean);
        float[] vv = CpuStorage.of(var);
        float[] wv = weight == null ? null : CpuStorage.of(weight);
        float[] d = CpuStorage.overwrite(dx);
        float[] dw = dWeight == null ? null : CpuStorage.overwrite(dWeight);
        float[] db = dBias == null ? null : CpuStorage.overwrite(dBias);
        int n = x.shape().dim(0);
        int c = mv.length;
        int s = n == 0 ? 0 : xv.length / (n * c);
        forChannels(c, xv.length, ch -> {
            double invStd = 1.0 / Math.sqrt(vv[ch] + eps);
            double sumDy = 0;
            double sumDyXc = 0;
            if (dw != null || db != null) {
                for (int img = 0; img < n; img++) {
                    int off = (img * c + ch) * s;
                    sumDy += kn.sum(s, g, off);
                    if (dw != null) {
                        sumDyXc += pk.dotCentered(s, g, off, xv, off, mv[ch]);
                    }
                }
            }
            float scale = (float) (invStd * (wv == null ? 1.0 : wv[ch]));
            for (int img = 0; img < n; img++) {
                int off = (img * c + ch) * s;
                pk.affine(s, g, off, 0f, scale, 0f, d, off);
            }
            if (dw != null) {
                dw[ch] = (float) (invStd * sumDyXc);
            }
            if (db != null) {
                db[ch] = (float) sumDy;
            }
        });
    }

    private void forChannels(int c, int total, ParallelRunner.Task channel) {
        if (total < SERIAL) {
            for (int ch = 0; ch < c; ch++) {
                channel.run(ch);
            }
            return;
        }
        runner.run(c, channel);
    }
}
