package org.layers4j.nn.loss;

import java.util.Arrays;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * What {@link NLLLoss} and {@link CrossEntropyLoss} share: input [N, C, d1, ...] (or [C]) with class
 * indices as an int64 target [N, d1, ...] (or a scalar), an optional class {@code weight} [C], and
 * {@code ignore_index} (default -100), whose positions count neither in the loss nor in the mean's
 * divisor (the summed weights of the other targets).
 */
abstract class ClassificationLoss extends Loss {
    private final float[] weight;
    private final long ignoreIndex;

    ClassificationLoss(float[] weight, long ignoreIndex, Reduction reduction) {
        super(reduction);
        this.weight = weight == null ? null : weight.clone();
        this.ignoreIndex = ignoreIndex;
    }

    /** The class weights, or null. */
    public float[] weight() {
        return weight == null ? null : weight.clone();
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }

    double w(int c) {
        return weight == null ? 1 : weight[c];
    }

    @Override
    protected Shape check(Shape input, Tensor target) {
        if (input.rank() < 1) {
            throw new IllegalArgumentException(name() + ": Expected 1 or more dimensions (got 0)");
        }
        if (target.dtype() != DType.INT64) {
            throw new IllegalArgumentException(name() + ": expected int64 class indices as target, got "
                    + target.dtype().torchName() + " (class probabilities are not supported)");
        }
        Shape t = target.shape();
        int[] expected = input.rank() == 1 ? new int[0] : new int[input.rank() - 1];
        if (input.rank() > 1) {
            expected[0] = input.dim(0);
            for (int i = 2; i < input.rank(); i++) {
                expected[i - 1] = input.dim(i);
            }
        }
        if (input.rank() > 1 && (t.rank() == 0 || t.dim(0) != input.dim(0))) {
            throw new IllegalArgumentException("Expected input batch_size (" + input.dim(0) + ") to match target batch_size ("
                    + (t.rank() == 0 ? 0 : t.dim(0)) + ").");
        }
        if (!Arrays.equals(expected, t.dims())) {
            throw new IllegalArgumentException(name() + ": Expected target size " + Arrays.toString(expected) + ", got "
                    + t.dimsString());
        }
        int c = classLayout(input)[1];
        if (weight != null && weight.length != c) {
            throw new IllegalArgumentException(name() + ": weight tensor should be defined either for all " + c
                    + " classes or no classes but got weight tensor of shape: [" + weight.length + "]");
        }
        return Shape.of(expected);
    }

    /** The targets, checked: each in [0, C) or the ignore index. */
    long[] targets(Tensor target, int c) {
        long[] t = target.toLongArray();
        for (long v : t) {
            if (v != ignoreIndex && (v < 0 || v >= c)) {
                throw new IllegalArgumentException(name() + ": Target " + v + " is out of bounds (classes 0.." + (c - 1)
                        + ", ignore_index " + ignoreIndex + ")");
            }
        }
        return t;
    }

    boolean ignored(long t) {
        return t == ignoreIndex;
    }
}
