package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Batch normalization over x viewed as [n, c, s] (s: the product of the dimensions after c; 1 for
 * BatchNorm1d's [n, c]), statistics per channel c, PyTorch's formulas (the same as cuDNN's
 * {@code cudnnBatchNormalization*} in spatial mode). {@code weight} and {@code bias} are [c] or null
 * (affine=False: scale 1, shift 0); their gradients are then null too.
 */
public interface NormalizationOps {
    /** y = (x - mean) / sqrt(var + eps) * weight + bias with the given (running) statistics. */
    void batchNormInference(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps, Tensor y);

    /**
     * y normalized with the batch's own mean and biased variance; saveMean / saveInvStd [c] receive
     * the mean and 1 / sqrt(var + eps) for backward. When runningMean / runningVar are non-null they are
     * updated in place: r = (1 - factor) * r + factor * stat, where the variance stat is the unbiased
     * one (times m / (m - 1), m = n * s).
     */
    void batchNormTraining(Tensor x, Tensor weight, Tensor bias, double eps, double factor, Tensor runningMean,
                           Tensor runningVar, Tensor y, Tensor saveMean, Tensor saveInvStd);

    /** Gradients of {@link #batchNormTraining}: dx through the batch statistics, dWeight, dBias (nullable). */
    void batchNormTrainingBackward(Tensor x, Tensor dy, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                   Tensor dx, Tensor dWeight, Tensor dBias);

    /**
     * Gradients of {@link #batchNormInference} (fixed statistics): dx = dy * weight / sqrt(var + eps),
     * dWeight = sum(dy * (x - mean) / sqrt(var + eps)), dBias = sum(dy) (nullable).
     */
    void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor mean, Tensor var, Tensor weight, double eps,
                                    Tensor dx, Tensor dWeight, Tensor dBias);
}
