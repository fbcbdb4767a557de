package org.layers4j.graph.passes;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.layers4j.Tensor;
import org.layers4j.graph.ops.Args;
import org.layers4j.graph.ops.FunctionalOp;
import org.layers4j.graph.ops.OpContext;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.graph.ops.Signature;
import org.layers4j.nn.conv.PreparedConvolution;
import org.layers4j.nn.functional.Activations;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.spi.UnaryOp;

/**
 * The op {@code fused_conv} of compiled graphs, ONNX Runtime's {@code FusedConv}:
 * {@code fused_conv(input, layer, residual=None, add=None, activation=None, min_val=-1.0, max_val=1.0,
 * approximate='none')} runs the convolution module named {@code layer} (its weights prepared once, a
 * {@link PreparedConvolution}), adds {@code residual} (the other operand of the {@code add} op it replaces) and
 * applies {@code activation} ({@code relu}, {@code hardtanh} with min_val / max_val, {@code silu},
 * {@code hardswish}, {@code hardsigmoid}, {@code gelu} with approximate), as the outputs are stored. A residual
 * that does not have the output's shape and dtype (a broadcast) is added by the graph's own {@code add} op after
 * the convolution, then activated: the result is always the unfused graph's. It exists only in the registry of
 * a compiled model, never in a model file. With {@code scale} (the other operand of the {@code mul} op it replaces, a
 * squeeze-excitation's [N, C, 1, 1] channel scale, {@link ChannelScaleFusion}) the input is multiplied by it as the
 * convolution reads it, where the backend does that ({@link PreparedConvolution#scales}); anything else is multiplied
 * by the graph's own {@code mul} op first. Either way the result is the unfused graph's.
 */
public final class FusedConv {
    /** The op's name. */
    public static final String OP = "fused_conv";
    /** Its arguments. */
    public static final Signature SIGNATURE = Signature.of("input", "layer", "residual=None", "add=None",
            "activation=None", "min_val=-1.0", "max_val=1.0", "approximate='none'", "scale=None", "mul=None");

    private FusedConv() {
    }

    /**
     * The op for one compiled model: {@code layers} gives the prepared convolution of a module name, {@code registry}
     * the {@code add} op of a residual that does not fit.
     */
    public static FunctionalOp op(Function<String, PreparedConvolution> layers, OpRegistry registry) {
        return FunctionalOp.of(OP, SIGNATURE, (a, c) -> apply(a, c, layers, registry));
    }

    private static Object apply(Args a, OpContext c, Function<String, PreparedConvolution> layers, OpRegistry registry) {
        PreparedConvolution pc = layers.apply(a.string("layer"));
        if (pc == null) {
            throw new IllegalStateException(OP + ": no prepared convolution for module '" + a.string("layer") + "'");
        }
        ConvEpilogue act = activation(a);
        Object r = a.get("residual");
        Object scale = a.get("scale");
        if (scale != null) {
            Object in = a.get("input");
            // the multiply's operands in its own order: either may be the [N, C, 1, 1] scale
            Tensor x = in instanceof Tensor t && scale instanceof Tensor s && pc.scales(t, s) ? t
                    : in instanceof Tensor t && scale instanceof Tensor s && pc.scales(s, t) ? s : null;
            if (x != null) {
                Tensor s = x == in ? (Tensor) scale : (Tensor) in;
                if (r == null) {
                    return pc.forward(x, s, act);
                }
                if (r instanceof Tensor t && pc.fits(x, t)) {
                    return pc.forward(x, s, act.withResidual(t));
                }
            }
            FunctionalOp mul = registry.get(a.string("mul"));
            Object product = mul.apply(new Args(mul.name(), mul.signature().bind(mul.name(), List.of(in, scale),
                    Map.of())), c);
            if (!(product instanceof Tensor p)) {
                throw new IllegalArgumentException(OP + ": the product of the input and its scale is not a tensor");
            }
            try (Tensor scaled = p) {
                return convolve(pc, scaled, r, act, a, c, registry);
            }
        }
        return convolve(pc, a.tensor("input"), r, act, a, c, registry);
    }

    /** act(conv(x) + r), the residual added by the graph's own op where it does not fit. */
    private static Object convolve(PreparedConvolution pc, Tensor x, Object r, ConvEpilogue act, Args a, OpContext c,
                                   OpRegistry registry) {
        if (r == null) {
            return pc.forward(x, act);
        }
        if (r instanceof Tensor t && pc.fits(x, t)) {
            return pc.forward(x, act.withResidual(t));
        }
        FunctionalOp add = registry.get(a.string("add"));
        Object sum;
        try (Tensor conv = pc.forward(x, ConvEpilogue.NONE)) {
            sum = add.apply(new Args(add.name(), add.signature().bind(add.name(), List.of(conv, r), Map.of())), c);
        }
        if (act.isNone()) {
            return sum;
        }
        if (!(sum instanceof Tensor t)) {
            throw new IllegalArgumentException(OP + ": the sum of the convolution and its residual is not a tensor");
        }
        return PreparedConvolution.activate(t, act);
    }

    /** The activation of a node's bound arguments, as an epilogue without residual. */
    static ConvEpilogue activation(Args a) {
        return activation(a.optionalString("activation"), a.number("min_val"), a.number("max_val"),
                a.string("approximate"));
    }

    /** The activation {@code name} (null: none) with its arguments. */
    static ConvEpilogue activation(String name, double min, double max, String approximate) {
        if (name == null) {
            return ConvEpilogue.NONE;
        }
        UnaryOp op = switch (name) {
            case "relu" -> null;
            case "hardtanh" -> UnaryOp.hardtanh(min, max);
            case "silu" -> UnaryOp.of(UnaryOp.Kind.SILU);
            case "hardswish" -> UnaryOp.of(UnaryOp.Kind.HARDSWISH);
            case "hardsigmoid" -> UnaryOp.of(UnaryOp.Kind.HARDSIGMOID);
            case "gelu" -> Activations.geluOp(approximate);
            default -> throw new IllegalArgumentException(OP + ": unknown activation '" + name + "'");
        };
        return new ConvEpilogue(null, op == null, op);
    }
}
