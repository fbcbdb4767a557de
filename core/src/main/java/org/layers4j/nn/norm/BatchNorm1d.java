package org.layers4j.nn.norm;

import org.layers4j.Shape;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)}
 * over [N, C] or [N, C, L]; see {@link BatchNorm} for the semantics. momentum null is PyTorch's None.
 */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true, null);
    }

    public BatchNorm1d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats, Backend backend) {
        super(numFeatures, eps, momentum, affine, trackRunningStats, backend);
    }

    @Override
    void checkInputDim(Shape s) {
        if (s.rank() != 2 && s.rank() != 3) {
            throw new IllegalArgumentException("expected 2D or 3D input (got " + s.rank() + "D input)");
        }
    }
}
