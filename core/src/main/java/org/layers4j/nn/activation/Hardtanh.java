package org.layers4j.nn.activation;

import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/**
 * PyTorch's {@code nn.Hardtanh(min_val=-1.0, max_val=1.0)}: clamp(x, min_val, max_val), NaN passing; the
 * gradient is dy strictly inside (min_val, max_val) (and at NaN), 0 elsewhere including both kinks.
 */
public class Hardtanh extends PointwiseActivation {
    private final double minVal;
    private final double maxVal;

    /** min_val -1, max_val 1 on the default backend. */
    public Hardtanh() {
        this(-1.0, 1.0, null);
    }

    public Hardtanh(Backend backend) {
        this(-1.0, 1.0, backend);
    }

    public Hardtanh(double minVal, double maxVal) {
        this(minVal, maxVal, null);
    }

    /** An IllegalArgumentException unless max_val &gt; min_val (PyTorch asserts it); infinite bounds allowed. */
    public Hardtanh(double minVal, double maxVal, Backend backend) {
        super(backend, checked(minVal, maxVal));
        this.minVal = minVal;
        this.maxVal = maxVal;
    }

    private static UnaryOp checked(double minVal, double maxVal) {
        if (Double.isNaN(minVal) || Double.isNaN(maxVal) || !(maxVal > minVal)) {
            throw new IllegalArgumentException("Hardtanh: max_val must be greater than min_val, but got min_val=" + minVal
                    + ", max_val=" + maxVal);
        }
        return UnaryOp.hardtanh(minVal, maxVal);
    }

    public double minVal() {
        return minVal;
    }

    public double maxVal() {
        return maxVal;
    }

    @Override
    protected String extraRepr() {
        return "min_val=" + pyFloat(minVal) + ", max_val=" + pyFloat(maxVal);
    }
}
