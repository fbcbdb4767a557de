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
        // channels small enough for the zero-sum rounding go four to a task (ZeroSumRounding#writeFour)
        boolean zeroSum = m <= ZeroSumRounding.MAX_VALUES;
        int per = zeroSum ? 4 : 1;
        forChannels((c + per - 1) / per, xv.length, task -> {
            int ch0 = task * per;
            int count = Math.min(per, c - ch0);
            double[] alpha = new double[per];
            double[] beta = new double[per];
            double[] gamma = new double[per];
            float[] means = new float[per];
            for (int k = 0; k < count; k++) {
                int ch = ch0 + k;
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
                alpha[k] = invStd * w;
                beta[k] = -invStd * invStd * invStd * w * sumDyXc / m;
                gamma[k] = -invStd * w * sumDy / m;
                means[k] = mean;
                if (!zeroSum) {
                    // large channels: the vector kernel (a model's big early layers; see ZeroSumRounding)
                    for (int img = 0; img < n; img++) {
                        int off = (img * c + ch) * s;
                        pk.combine(s, (float) alpha[k], g, off, (float) beta[k], xv, off, mean, (float) gamma[k], d,
                                off);
                    }
                }
                if (dw != null) {
                    dw[ch] = (float) (invStd * sumDyXc);
                }
                if (db != null) {
                    db[ch] = (float) sumDy;
                }
            }
            if (zeroSum && count == 4) {
                ZeroSumRounding.writeFour(d, g, xv, n, c, ch0, s, alpha, beta, means, gamma);
            } else if (zeroSum) {
                for (int k = 0; k < count; k++) {
                    ZeroSumRounding.write(d, g, xv, n, c, ch0 + k, s, alpha[k], beta[k], means[k], gamma[k]);
                }
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

    // ---- layer and group normalization ----------------------------------------------------------

    /**
     * Where the affine parameter of a block's element comes from: LayerNorm's column (the element's index in
     * its row), GroupNorm's channel (the group's first channel plus index / s).
     */
    @FunctionalInterface
    private interface ParamIndex {
        int of(int block, int j);
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor y, Tensor saveMean,
                          Tensor saveInvStd) {
        int rows = saveMean.shape().size();
        int cols = x.shape().size() / rows;
        normalizeBlocks(x, weight, bias, eps, y, saveMean, saveInvStd, rows, cols, (b, j) -> j);
    }

    @Override
    public void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps, Tensor y, Tensor saveMean,
                          Tensor saveInvStd) {
        int c = x.shape().dim(1);
        int s = x.shape().size() / (x.shape().dim(0) * c);
        int cpg = c / groups;
        int blocks = saveMean.shape().size();
        normalizeBlocks(x, weight, bias, eps, y, saveMean, saveInvStd, blocks, cpg * s,
                (b, j) -> (b % groups) * cpg + j / s);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor dy, Tensor weight, Tensor saveMean, Tensor saveInvStd, Tensor dx,
                                  Tensor dWeight, Tensor dBias) {
        int rows = saveMean.shape().size();
        int cols = x.shape().size() / rows;
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] sm = CpuStorage.of(saveMean);
        float[] si = CpuStorage.of(saveInvStd);
        blockBackward(xv, g, weight, sm, si, dx, rows, cols, (b, j) -> j);
        float[] dw = dWeight == null ? null : CpuStorage.overwrite(dWeight);
        float[] db = dBias == null ? null : CpuStorage.overwrite(dBias);
        if (dw == null && db == null) {
            return;
        }
        // column sums over the rows: one task per block of columns, each reading every row's slice
        int width = 64;
        int tasks = (cols + width - 1) / width;
        forTasks(tasks, xv.length, t -> {
            int from = t * width;
            int to = Math.min(cols, from + width);
            double[] sw = new double[to - from];
            double[] sb = new double[to - from];
            for (int r = 0; r < rows; r++) {
                double mean = sm[r];
                double inv = si[r];
                int off = r * cols;
                for (int j = from; j < to; j++) {
                    double d = g[off + j];
                    sb[j - from] += d;
                    sw[j - from] += d * (xv[off + j] - mean) * inv;
                }
            }
            for (int j = from; j < to; j++) {
                if (dw != null) {
                    dw[j] = (float) sw[j - from];
                }
                if (db != null) {
                    db[j] = (float) sb[j - from];
                }
            }
        });
    }

    @Override
    public void groupNormBackward(Tensor x, Tensor dy, int groups, Tensor weight, Tensor saveMean,
                                  Tensor saveInvStd, Tensor dx, Tensor dWeight, Tensor dBias) {
        int n = x.shape().dim(0);
        int c = x.shape().dim(1);
        int s = x.shape().size() / (n * c);
        int cpg = c / groups;
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] sm = CpuStorage.of(saveMean);
        float[] si = CpuStorage.of(saveInvStd);
        blockBackward(xv, g, weight, sm, si, dx, n * groups, cpg * s, (b, j) -> (b % groups) * cpg + j / s);
        float[] dw = dWeight == null ? null : CpuStorage.overwrite(dWeight);
        float[] db = dBias == null ? null : CpuStorage.overwrite(dBias);
        if (dw == null && db == null) {
            return;
        }
        forTasks(c, xv.length, ch -> {
            double sw = 0;
            double sb = 0;
            int grp = ch / cpg;
            for (int img = 0; img < n; img++) {
                int blk = img * groups + grp;
                double mean = sm[blk];
                double inv = si[blk];
                int off = (img * c + ch) * s;
                for (int i = 0; i < s; i++) {
                    double d = g[off + i];
                    sb += d;
                    sw += d * (xv[off + i] - mean) * inv;
                }
            }
            if (dw != null) {
                dw[ch] = (float) sw;
            }
            if (db != null) {
                db[ch] = (float) sb;
            }
        });
    }

    /**
     * Normalizes {@code blocks} contiguous blocks of {@code len} values, each with its own mean and biased
     * variance (two passes in double), applying the per-element affine parameter {@code param} selects.
     */
    private void normalizeBlocks(Tensor x, Tensor weight, Tensor bias, double eps, Tensor y, Tensor saveMean,
                                 Tensor saveInvStd, int blocks, int len, ParamIndex param) {
        float[] xv = CpuStorage.of(x);
        float[] wv = weight == null ? null : CpuStorage.of(weight);
        float[] bv = bias == null ? null : CpuStorage.of(bias);
        float[] yv = CpuStorage.overwrite(y);
        float[] sm = CpuStorage.overwrite(saveMean);
        float[] si = CpuStorage.overwrite(saveInvStd);
        forBlocks(blocks, len, b -> {
            int off = b * len;
            double sum = 0;
            for (int j = 0; j < len; j++) {
                sum += xv[off + j];
            }
            double mean = sum / len;
            double sq = 0;
            for (int j = 0; j < len; j++) {
                double d = xv[off + j] - mean;
                sq += d * d;
            }
            double inv = 1.0 / Math.sqrt(sq / len + eps);
            for (int j = 0; j < len; j++) {
                double v = (xv[off + j] - mean) * inv;
                if (wv != null || bv != null) {
                    int p = param.of(b, j);
                    v = v * (wv == null ? 1.0 : wv[p]) + (bv == null ? 0.0 : bv[p]);
                }
                yv[off + j] = (float) v;
            }
            sm[b] = (float) mean;
            si[b] = (float) inv;
        });
    }

    /** dx of {@link #normalizeBlocks}: invStd * (g - mean(g) - xhat * mean(g * xhat)) per block, g = dy * weight. */
    private void blockBackward(float[] xv, float[] g, Tensor weight, float[] sm, float[] si, Tensor dx, int blocks,
                               int len, ParamIndex param) {
        float[] wv = weight == null ? null : CpuStorage.of(weight);
        float[] d = CpuStorage.overwrite(dx);
        forBlocks(blocks, len, b -> {
            int off = b * len;
            double mean = sm[b];
            double inv = si[b];
            double sumG = 0;
            double sumGx = 0;
            for (int j = 0; j < len; j++) {
                double gj = wv == null ? g[off + j] : (double) g[off + j] * wv[param.of(b, j)];
                sumG += gj;
                sumGx += gj * (xv[off + j] - mean) * inv;
            }
            double a = sumG / len;
            double c = sumGx / len;
            for (int j = 0; j < len; j++) {
                double gj = wv == null ? g[off + j] : (double) g[off + j] * wv[param.of(b, j)];
                double xhat = (xv[off + j] - mean) * inv;
                d[off + j] = (float) (inv * (gj - a - xhat * c));
            }
        });
    }

    /** Runs one task per block, blocks grouped so that each task has at least about {@link #SERIAL} values. */
    private void forBlocks(int blocks, int len, ParallelRunner.Task block) {
        int per = Math.max(1, SERIAL / Math.max(1, len));
        int tasks = (blocks + per - 1) / per;
        forTasks(tasks, (long) blocks * len, t -> {
            int end = Math.min(blocks, (t + 1) * per);
            for (int b = t * per; b < end; b++) {
                block.run(b);
            }
        });
    }

    private void forTasks(int tasks, long total, ParallelRunner.Task task) {
        if (total < SERIAL) {
            for (int t = 0; t < tasks; t++) {
                task.run(t);
            }
            return;
        }
        runner.run(tasks, task);
    }
}
