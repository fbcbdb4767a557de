package org.layers4j.nn.conv;

import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.functional.Activations;
import org.layers4j.nn.functional.Arithmetic;
import org.layers4j.spi.Backend;
import org.layers4j.spi.ConvEpilogue;

/**
 * A convolution layer frozen for eval-mode inference, what a compiled model runs: the weight prepared once on
 * the backend ({@link org.layers4j.spi.ConvolutionOps#prepareWeights}: the CPU packs its GEMM panels then, not
 * per call), and a residual add and activation applied as the outputs are stored ({@link ConvEpilogue}). The
 * result is the layer's output, plus the residual, through the activation, each step rounded as the separate
 * ops round it. Nothing is recorded on a tape. The weight is read when this is created: the layer must not
 * change while it is in use (a compiled model builds new ones then). Plans the backend never sees plainly
 * (kernel taps dropped for 32-bit reach, outputs that are the bias alone) run as the layer and the separate ops.
 */
public final class PreparedConvolution implements AutoCloseable {
    private final Convolution layer;
    private final Tensor weight4d;

    /** Prepares {@code layer}'s current weight; the layer stays owned by the caller and must outlive this. */
    public PreparedConvolution(Convolution layer) {
        if (layer == null) {
            throw new IllegalArgumentException("layer must not be null");
        }
        this.layer = layer;
        try (Tensor w4 = layer.weight().reshape(layer.weight4dShape())) {
            this.weight4d = layer.backend().convolution().prepareWeights(w4, layer.spec().groups());
        }
    }

    /**
     * Prepares the weight of a layer the caller owns entirely (a compiled model's own), whose weight then becomes a
     * handle on the prepared form: the values are held once, by the backend, which may keep only its packed form
     * of them (the CPU: once packed, and unless read plainly, see its PreparedWeights). The layer computes what it
     * computed.
     */
    public static PreparedConvolution owning(Convolution layer) {
        PreparedConvolution p = new PreparedConvolution(layer);
        if (p.weight4d.backend() != layer.backend()) {
            return p; // a wrapping backend (FLOP counting) prepared it on the one it wraps: the layer keeps its weight
        }
        try {
            layer.usePrepared(p.weight4d);
            layer.backend().convolution().compactPrepared(p.weight4d);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** The layer this runs. */
    public Convolution layer() {
        return layer;
    }

    /**
     * Whether {@code residual} can be added as the outputs of {@code input} are stored: a float32 tensor of the
     * output's shape on the layer's backend. Anything else (a broadcast, another dtype) the caller adds by its own op.
     */
    public boolean fits(Tensor input, Tensor residual) {
        return residual.dtype() == DType.FLOAT32 && residual.backend() == layer.backend() && !residual.isClosed()
                && residual.shape().equals(layer.plan(input).outputShape());
    }

    /** act(conv(input) + residual) for the epilogue's residual (null: none; else it must {@link #fits}). */
    public Tensor forward(Tensor input, ConvEpilogue epilogue) {
        Backend be = layer.backend();
        ConvPlan plan = layer.plan(input);
        Tensor residual = residual(input, epilogue, plan);
        if (plan.taps() != null || plan.biasOnly()) {
            return separately(input, epilogue);
        }
        Tensor b = layer.bias();
        return Module.compute(be, plan.outputShape(), o -> {
            try (Tensor y4 = o.reshape(plan.output4d());
                 Tensor x4 = input.reshape(plan.input4d());
                 Tensor padded = Convolution.padded(be, plan, x4);
                 Tensor r4 = residual == null ? null : residual.reshape(plan.output4d())) {
                be.convolution().forward(plan.geometry(), padded, weight4d, b, epilogue.withResidual(r4), y4);
            }
        }, input, residual, weight4d, b);
    }

    /**
     * Whether {@code input} can be multiplied by {@code scale} as the convolution reads it (a squeeze-excitation's
     * channel scale, {@link org.layers4j.spi.ConvolutionOps#scalesInput}): input float32 [N, C, H, W] and scale float32
     * [N, C, 1, 1], both open on the layer's backend, and a geometry the backend scales (no explicit padding, no
     * trimmed taps). Anything else the caller multiplies by its own op.
     */
    public boolean scales(Tensor input, Tensor scale) {
        Backend be = layer.backend();
        if (input.dtype() != DType.FLOAT32 || scale.dtype() != DType.FLOAT32 || input.backend() != be
                || scale.backend() != be || input.isClosed() || scale.isClosed() || input.shape().rank() != 4
                || scale.shape().rank() != 4) {
            return false;
        }
        Shape in = input.shape();
        Shape s = scale.shape();
        if (s.dim(0) != in.dim(0) || s.dim(1) != in.dim(1) || s.dim(2) != 1 || s.dim(3) != 1) {
            return false;
        }
        ConvPlan plan = layer.plan(input);
        return plan.padding() == null && plan.taps() == null && !plan.biasOnly()
                && be.convolution().scalesInput(plan.geometry());
    }

    /**
     * act(conv(input * scale) + residual), the product read with the input and never stored; the result equals the
     * multiply op followed by {@link #forward(Tensor, ConvEpilogue)} bit for bit. {@code scale} must {@link #scales}.
     */
    public Tensor forward(Tensor input, Tensor scale, ConvEpilogue epilogue) {
        if (!scales(input, scale)) {
            throw new IllegalArgumentException(layer.spec().opName() + ": the input " + input.shape().dimsString()
                    + " cannot be scaled by " + scale.shape().dimsString() + " as it is read");
        }
        Backend be = layer.backend();
        ConvPlan plan = layer.plan(input);
        Tensor residual = residual(input, epilogue, plan);
        Tensor b = layer.bias();
        return Module.compute(be, plan.outputShape(), o -> {
            try (Tensor y4 = o.reshape(plan.output4d());
                 Tensor r4 = residual == null ? null : residual.reshape(plan.output4d())) {
                be.convolution().forward(plan.geometry(), input, scale, weight4d, b, epilogue.withResidual(r4), y4);
            }
        }, input, scale, residual, weight4d, b);
    }

    /** The epilogue's residual (null: none), which must {@link #fits}. */
    private Tensor residual(Tensor input, ConvEpilogue epilogue, ConvPlan plan) {
        Tensor residual = epilogue.residual();
        if (residual != null && !fits(input, residual)) {
            throw new IllegalArgumentException(layer.spec().opName() + ": the residual " + residual.shape().dimsString()
                    + " does not have the output's shape " + plan.outputShape().dimsString());
        }
        return residual;
    }

    /** The layer's forward, then the add and the activation as the graph's separate ops compute them. */
    private Tensor separately(Tensor input, ConvEpilogue ep) {
        Tensor y = layer.forward(input);
        if (ep.residual() != null) {
            try (Tensor conv = y) {
                y = Arithmetic.add(conv, ep.residual());
            }
        }
        return activate(y, ep);
    }

    /** The epilogue's activation of y (closing y when there is one), as the activation ops compute it. */
    public static Tensor activate(Tensor y, ConvEpilogue ep) {
        if (!ep.relu() && ep.unary() == null) {
            return y;
        }
        try (Tensor x = y) {
            return ep.relu() ? Activations.relu(x) : Activations.apply("activation", ep.unary(), x);
        }
    }

    /** Frees the prepared weight (not the layer). */
    @Override
    public void close() {
        weight4d.close();
    }
}
