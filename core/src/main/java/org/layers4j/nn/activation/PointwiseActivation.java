package org.layers4j.nn.activation;

import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.functional.Activations;
import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/**
 * An element-wise activation on the backend's {@link org.layers4j.spi.PointwiseOps} (SiLU, Hardswish,
 * GELU, ...): the output has the input's shape, backward works from the saved input. No parameters.
 */
public abstract class PointwiseActivation extends Module {
    private final UnaryOp op;

    protected PointwiseActivation(Backend backend, UnaryOp op) {
        super(backend == null ? Backends.defaultBackend() : backend);
        this.op = op;
    }

    /** The activation with its arguments, as the backend computes it. */
    public final UnaryOp op() {
        return op;
    }

    @Override
    public Tensor forward(Tensor input) {
        requireInput(getClass().getSimpleName(), input);
        return Activations.apply(getClass().getSimpleName(), op, input);
    }

    /** Python's repr of a float (1.0, -0.5, 1e-05, inf), as PyTorch's extra_repr prints arguments. */
    static String pyFloat(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        java.math.BigDecimal b = new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros();
        int exp = b.precision() - b.scale() - 1;
        if (exp >= -4 && exp < 16) {
            String s = b.toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        String digits = b.unscaledValue().abs().toString();
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v < 0 ? "-" : "") + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
