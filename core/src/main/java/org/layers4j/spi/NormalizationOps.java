package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Batch normalization over x viewed as [n, c, s] (s: the product of the dimensions after c; 1 for
 * BatchNorm1d's [n, c]), statistics per channel c, PyTorch's formulas (the same as cuDNN's
 * {@code cudnnBatchNormalization*} in spatial mode). {@code weight} and {@code bias} are [c] or null
 * (affine=False: scale 1, shift 0); their gradients are then null too. Layer and group normalization
 * ({@link #layerNorm}, {@link #groupNorm}) are default methods that say the backend lacks them.
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

    // ---- layer and group normalization (defaults: this backend lacks them) -------------------------

    /**
     * Layer normalization of x viewed as [rows, cols] (PyTorch's {@code native_layer_norm}: cols is the product
     * of normalized_shape): each row is normalized with its own mean and biased variance,
     * y = (x - mean) / sqrt(var + eps) * weight[col] + bias[col]. {@code weight} / {@code bias} are [cols] or
     * null (scale 1 / shift 0), independently. saveMean / saveInvStd [rows] receive each row's mean and
     * 1 / sqrt(var + eps) for {@link #layerNormBackward}. rows and cols are at least 1.
     */
    default void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor y, Tensor saveMean,
                           Tensor saveInvStd) {
        throw Unsupported.op(x.backend().name(), "layer_norm");
    }

    /**
     * Gradients of {@link #layerNorm} for x and dy viewed as [rows, cols]: dx through the row statistics,
     * dWeight[col] = sum over rows of dy * xhat and dBias[col] = sum over rows of dy (each nullable: not
     * computed when null; dWeight is requested only with a weight).
     */
    default void layerNormBackward(Tensor x, Tensor dy, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                   Tensor dx, Tensor dWeight, Tensor dBias) {
        throw Unsupported.op(x.backend().name(), "layer_norm backward");
    }

    /**
     * Group normalization of x viewed as [n, c, s] (PyTorch's {@code native_group_norm}): the c channels form
     * {@code groups} consecutive groups, and each (sample, group) block of c / groups * s contiguous values is
     * normalized with its own mean and biased variance, then y = xhat * weight[ch] + bias[ch] per channel
     * ({@code weight} / {@code bias} [c] or null, independently). saveMean / saveInvStd [n, groups] receive
     * each block's mean and 1 / sqrt(var + eps). n, c, s are at least 1 and groups divides c.
     */
    default void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps, Tensor y, Tensor saveMean,
                           Tensor saveInvStd) {
        throw Unsupported.op(x.backend().name(), "group_norm");
    }

    /**
     * Gradients of {@link #groupNorm} for x and dy viewed as [n, c, s]: dx through the block statistics,
     * dWeight[ch] = sum over n and s of dy * xhat and dBias[ch] = sum over n and s of dy (each nullable: not
     * computed when null; dWeight is requested only with a weight).
     */
    default void groupNormBackward(Tensor x, Tensor dy, int groups, Tensor weight, Tensor saveMean,
                                   Tensor saveInvStd, Tensor dx, Tensor dWeight, Tensor dBias) {
        throw Unsupported.op(x.backend().name(), "group_norm backward");
    }
}
