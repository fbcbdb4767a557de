package org.layers4j.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.layers4j.graph.ops.FunctionalOp;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.graph.ops.Signature;

/**
 * The ONNX op types this front end runs and the op registry its graphs use: the standard registry plus one
 * op {@code onnx.<OpType>} per type, called with the node's inputs (None for an omitted optional input) and
 * {@code attrs} (the node's attributes), {@code opset} and {@code outputs} (the number of outputs).
 */
public final class OnnxOps {
    /** The registry op name prefix. */
    public static final String PREFIX = "onnx.";
    /** The op padding a Conv layer's input for auto_pad SAME_UPPER / SAME_LOWER (no ONNX op type of its own). */
    static final String SAME_PAD = "onnx_same_pad";

    private static final Map<String, OnnxKernel> KERNELS = new TreeMap<>();
    private static final OpRegistry REGISTRY;

    static {
        ElementwiseKernels.register(KERNELS);
        ShapeKernels.register(KERNELS);
        ConvPoolKernels.register(KERNELS);
        MathKernels.register(KERNELS);
        ExtraKernels.register(KERNELS);
        ReduceKernels.register(KERNELS);
        IndexKernels.register(KERNELS);
        LossKernels.register(KERNELS);
        OpRegistry r = OpRegistry.standard().copy();
        KERNELS.forEach((type, kernel) -> r.register(op(type, kernel)));
        r.register(FunctionalOp.of(SAME_PAD, Signature.of("input", "kernel", "stride", "dilation", "upper"),
                (a, c) -> ConvPoolKernels.samePad(a.tensor("input"), a.ints("kernel"), a.ints("stride"),
                        a.ints("dilation"), a.bool("upper"))));
        REGISTRY = r;
    }

    private OnnxOps() {
    }

    /** The op types of the default domain that load (Constant included), sorted. */
    public static List<String> supported() {
        List<String> l = new ArrayList<>(KERNELS.keySet());
        l.add("Constant");
        l.sort(null);
        return l;
    }

    static OnnxKernel kernel(String opType) {
        return KERNELS.get(opType);
    }

    static boolean isSupported(String opType) {
        return KERNELS.containsKey(opType) || opType.equals("Constant");
    }

    /** The standard ops and the {@code onnx.*} ops (shared: do not register on it; copy it). */
    public static OpRegistry registry() {
        return REGISTRY;
    }

    private static FunctionalOp op(String type, OnnxKernel kernel) {
        return FunctionalOp.of(PREFIX + type, Signature.of("*inputs", "attrs=None", "opset=13", "outputs=1"),
                (a, c) -> {
                    @SuppressWarnings("unchecked")
                    List<Object> inputs = (List<Object>) a.get("inputs");
                    @SuppressWarnings("unchecked")
                    Map<String, Object> attrs = a.get("attrs") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                    return run(kernel, new OnnxCall(type, inputs, attrs, a.integer("opset"), a.integer("outputs"), c));
                });
    }

    /**
     * Runs a kernel; what malformed inputs make host code throw (a missing input, an index past the end, an
     * input of the wrong kind) becomes an IllegalArgumentException naming the op type.
     */
    static Object run(OnnxKernel kernel, OnnxCall call) {
        try {
            return kernel.run(call);
        } catch (IndexOutOfBoundsException | ArithmeticException | NegativeArraySizeException | ClassCastException
                 | NullPointerException e) {
            throw new IllegalArgumentException(call.opType() + ": invalid inputs or attributes (" + e + ")", e);
        }
    }

    /**
     * Checks what the node alone shows against what the kernels implement; OnnxUnsupportedException naming the
     * attribute and its value.
     */
    static void check(String type, Map<String, Object> attrs, int outputs) {
        switch (type) {
            case "Resize", "Upsample" -> ResizeKernel.check(type, attrs);
            case "Pad" -> {
                Object mode = attrs.getOrDefault("mode", "constant");
                if (!List.of("constant", "reflect", "edge").contains(mode)) {
                    throw new OnnxUnsupportedException("Pad: mode '" + mode + "' is not supported (constant, reflect,"
                            + " edge)");
                }
            }
            case "MaxPool" -> {
                if (outputs > 1) {
                    throw new OnnxUnsupportedException("MaxPool's Indices output is not supported");
                }
                autoPad(type, attrs);
            }
            case "AveragePool", "Conv", "ConvTranspose" -> autoPad(type, attrs);
            case "BatchNormalization" -> {
                if (outputs > 1 || attrs.get("training_mode") instanceof Long l && l != 0) {
                    throw new OnnxUnsupportedException("BatchNormalization in training mode (training_mode=1, the"
                            + " running statistics outputs) is not supported");
                }
            }
            case "Cast" -> {
                if (attrs.get("to") instanceof Long to && !OnnxTensors.isSupported(to.intValue())) {
                    throw new OnnxUnsupportedException("Cast to " + OnnxTensors.typeName(to.intValue())
                            + " is not supported");
                }
            }
            default -> {
            }
        }
    }

    private static void autoPad(String type, Map<String, Object> attrs) {
        Object a = attrs.getOrDefault("auto_pad", "NOTSET");
        if (!List.of("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER").contains(a)) {
            throw new OnnxUnsupportedException(type + ": auto_pad '" + a + "' is not supported");
        }
    }
}
