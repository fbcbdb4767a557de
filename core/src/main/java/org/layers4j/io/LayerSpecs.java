package org.layers4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.nn.Dropout;
import org.layers4j.nn.Dropout2d;
import org.layers4j.nn.Identity;
import org.layers4j.nn.Upsample;
import org.layers4j.nn.activation.GELU;
import org.layers4j.nn.activation.Hardsigmoid;
import org.layers4j.nn.activation.Hardswish;
import org.layers4j.nn.activation.Hardtanh;
import org.layers4j.nn.activation.ReLU6;
import org.layers4j.nn.activation.SiLU;
import org.layers4j.nn.conv.ConvTranspose;
import org.layers4j.nn.conv.ConvTranspose1d;
import org.layers4j.nn.conv.ConvTranspose2d;
import org.layers4j.nn.conv.ConvTransposeBuilder;
import org.layers4j.nn.norm.GroupNorm;
import org.layers4j.nn.norm.LayerNorm;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.activation.LeakyReLU;
import org.layers4j.nn.activation.LogSoftmax;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.activation.Sigmoid;
import org.layers4j.nn.activation.Softmax;
import org.layers4j.nn.activation.Tanh;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.ConvSpec;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.nn.linear.Embedding;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.norm.BatchNorm;
import org.layers4j.nn.norm.BatchNorm1d;
import org.layers4j.nn.norm.BatchNorm2d;
import org.layers4j.nn.pool.AdaptiveAvgPool1d;
import org.layers4j.nn.pool.AdaptiveAvgPool2d;
import org.layers4j.nn.pool.AdaptiveMaxPool2d;
import org.layers4j.nn.pool.AdaptivePooling;
import org.layers4j.nn.pool.AvgPool1d;
import org.layers4j.nn.pool.AvgPool2d;
import org.layers4j.nn.pool.MaxPool1d;
import org.layers4j.nn.pool.MaxPool2d;
import org.layers4j.nn.pool.PoolOptions;
import org.layers4j.nn.pool.Pooling;
import org.layers4j.Shape;
import org.layers4j.internal.Json;
import org.layers4j.spi.Backend;

/**
 * The architecture half of a model file: a layer as a JSON object {@code {"op": "conv2d",
 * "in_channels": 3, ...}} with PyTorch's lower-case class name and constructor argument names
 * (lists for tuples, null for None), as the {@code sequential} fixtures and
 * {@code scripts/torch_models.py} write them; and back. Unknown ops and arguments are errors.
 */
public final class LayerSpecs {
    private LayerSpecs() {
    }

    /** Builds the layer a spec (JSON text of one object) describes, on {@code backend}. */
    public static Module build(String specJson, Backend backend) {
        return build(Json.parseObject(specJson), backend);
    }

    /**
     * Builds the layer a spec describes, on {@code backend}, with default-initialized parameters. The
     * spec is a parsed JSON object: String keys; values String, Long (integers), Double, Boolean, null,
     * List or Map, as {@link #describe} returns them.
     */
    @SuppressWarnings("unchecked")
    public static Module build(Map<String, Object> spec, Backend backend) {
        if (spec == null) {
            throw new IllegalArgumentException("a layer spec must be a JSON object, got null");
        }
        SpecArgs a = new SpecArgs(spec);
        String op = a.string("op");
        if (!op.equals("sequential")) {
            stateShapes(spec); // sizes validated (>= 1, no overflow) before a constructor allocates anything
        }
        Module m = switch (op) {
            case "sequential" -> sequential(a, backend);
            case "conv1d", "conv2d" -> conv(op, a, backend);
            case "linear" -> new Linear(a.integer("in_features"), a.integer("out_features"), a.bool("bias", true), backend, 0);
            case "relu" -> inplace(a, new ReLU(backend));
            case "relu6" -> inplace(a, new ReLU6(backend));
            case "silu" -> inplace(a, new SiLU(backend));
            case "hardswish" -> inplace(a, new Hardswish(backend));
            case "hardsigmoid" -> inplace(a, new Hardsigmoid(backend));
            case "hardtanh" -> inplace(a, new Hardtanh(a.number("min_val", -1.0), a.number("max_val", 1.0), backend));
            case "gelu" -> new GELU(a.string("approximate", "none"), backend);
            case "identity" -> new Identity(backend);
            case "layernorm" -> new LayerNorm(a.ints("normalized_shape"), a.number("eps", 1e-5),
                    a.bool("elementwise_affine", true), backend);
            case "groupnorm" -> new GroupNorm(a.integer("num_groups"), a.integer("num_channels"), a.number("eps", 1e-5),
                    a.bool("affine", true), backend);
            case "convtranspose1d", "convtranspose2d" -> convTranspose(op, a, backend);
            case "upsample" -> upsample(a, backend);
            case "dropout2d" -> inplace(a, new Dropout2d(a.number("p", 0.5), 0, backend));
            case "leakyrelu" -> inplace(a, new LeakyReLU(a.number("negative_slope", 0.01), backend));
            case "sigmoid" -> new Sigmoid(backend);
            case "tanh" -> new Tanh(backend);
            case "softmax" -> new Softmax(a.integer("dim"), backend);
            case "logsoftmax" -> new LogSoftmax(a.integer("dim"), backend);
            case "flatten" -> new Flatten(a.integer("start_dim", 1), a.integer("end_dim", -1), backend);
            case "dropout" -> inplace(a, new Dropout(a.number("p", 0.5), 0, backend));
            case "embedding" -> new Embedding(a.integer("num_embeddings"), a.integer("embedding_dim"),
                    a.optionalInteger("padding_idx"), backend, 0);
            case "batchnorm1d", "batchnorm2d" -> batchNorm(op, a, backend);
            case "maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d" -> pool(op, a, backend);
            case "adaptiveavgpool1d" -> new AdaptiveAvgPool1d(a.ints("output_size")[0], backend);
            case "adaptiveavgpool2d" -> new AdaptiveAvgPool2d(backend, a.optionalInts("output_size"));
            case "adaptivemaxpool2d" -> new AdaptiveMaxPool2d(backend, a.optionalInts("output_size"));
            default -> throw unknownOp(op);
        };
        a.checkAllUsed();
        return m;
    }

    private static IllegalArgumentException unknownOp(String op) {
        return new IllegalArgumentException("unknown layer op '" + op + "'; known: sequential, "
                + "conv1d, conv2d, linear, relu, leakyrelu, sigmoid, tanh, softmax, logsoftmax, flatten, dropout, "
                + "embedding, batchnorm1d, batchnorm2d, maxpool1d, maxpool2d, avgpool1d, avgpool2d, "
                + "adaptiveavgpool1d, adaptiveavgpool2d, adaptivemaxpool2d, relu6, silu, hardswish, hardsigmoid, "
                + "hardtanh, gelu, identity, layernorm, groupnorm, convtranspose1d, convtranspose2d, upsample, dropout2d");
    }

    private static final java.util.Set<String> PARAMETERLESS = java.util.Set.of("relu", "relu6", "silu", "hardswish",
            "hardsigmoid", "hardtanh", "gelu", "identity", "upsample", "dropout2d", "leakyrelu", "sigmoid", "tanh",
            "softmax", "logsoftmax", "flatten", "dropout", "maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d",
            "adaptiveavgpool1d", "adaptiveavgpool2d", "adaptivemaxpool2d");

    /**
     * The state_dict the layer a spec describes will have — each parameter and buffer name (a
     * {@code sequential}'s prefixed with the child's index, as PyTorch names them) and its shape, in
     * PyTorch's order — computed from the spec alone, allocating nothing. The arguments these depend on
     * are validated first: sizes must be integers >= 1 (lists non-empty), {@code groups} must divide the
     * channels, and no tensor may exceed 2^31-1 elements; an IllegalArgumentException names the op and the
     * argument. {@link Models} compares this with a file's tensors before building anything, so loading
     * allocates only what the file holds. Parameterless layers have none; other arguments are checked by
     * {@link #build}.
     */
    public static Map<String, Shape> stateShapes(Map<String, Object> spec) {
        Map<String, Shape> out = new LinkedHashMap<>();
        stateShapes(spec, "", out);
        return out;
    }

    private static void stateShapes(Map<String, Object> spec, String prefix, Map<String, Shape> out) {
        if (spec == null) {
            throw new IllegalArgumentException("a layer spec must be a JSON object, got null");
        }
        SpecArgs a = new SpecArgs(spec);
        String op = a.string("op");
        switch (op) {
            case "sequential" -> {
                Object value = a.node("layers");
                if (!(value instanceof List<?> layers) || layers.isEmpty()) {
                    throw new IllegalArgumentException("sequential: 'layers' must be a non-empty JSON list");
                }
                for (int i = 0; i < layers.size(); i++) {
                    try {
                        if (!(layers.get(i) instanceof Map<?, ?> layer)) {
                            throw new IllegalArgumentException("a layer spec must be a JSON object, got "
                                    + Json.write(layers.get(i)));
                        }
                        @SuppressWarnings("unchecked")
                        Map<String, Object> child = (Map<String, Object>) layer;
                        stateShapes(child, prefix + i + ".", out);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("layer " + i + ": " + e.getMessage(), e);
                    }
                }
            }
            case "conv1d", "conv2d", "convtranspose1d", "convtranspose2d" -> {
                int in = a.atLeast("in_channels", 1);
                int outCh = a.atLeast("out_channels", 1);
                int groups = a.has("groups") ? a.atLeast("groups", 1) : 1;
                if (in % groups != 0 || outCh % groups != 0) {
                    throw new IllegalArgumentException(op + ": 'groups' (" + groups + ") must divide in_channels (" + in
                            + ") and out_channels (" + outCh + ")");
                }
                int dims = op.endsWith("1d") ? 1 : 2;
                int[] k = a.intsAtLeast("kernel_size", 1);
                if (k.length == 1 && dims == 2) {
                    k = new int[] {k[0], k[0]};
                }
                if (k.length != dims) {
                    throw new IllegalArgumentException(op + ": 'kernel_size' must hold " + dims + " integer(s), got "
                            + k.length);
                }
                boolean transposed = op.startsWith("convtranspose");
                int[] w = new int[2 + dims];
                w[0] = transposed ? in : outCh;
                w[1] = transposed ? outCh / groups : in / groups;
                System.arraycopy(k, 0, w, 2, dims);
                out.put(prefix + "weight", shape(op, "weight", w));
                if (a.bool("bias", true)) {
                    out.put(prefix + "bias", Shape.of(outCh));
                }
            }
            case "linear" -> {
                int in = a.atLeast("in_features", 1);
                int outF = a.atLeast("out_features", 1);
                out.put(prefix + "weight", shape(op, "weight", outF, in));
                if (a.bool("bias", true)) {
                    out.put(prefix + "bias", Shape.of(outF));
                }
            }
            case "embedding" -> {
                int n = a.atLeast("num_embeddings", 1);
                int d = a.atLeast("embedding_dim", 1);
                Integer pad = a.optionalInteger("padding_idx");
                if (pad != null && (pad < -n || pad >= n)) {
                    throw new IllegalArgumentException(op + ": 'padding_idx' must be within num_embeddings (" + n
                            + "), got " + pad);
                }
                out.put(prefix + "weight", shape(op, "weight", n, d));
            }
            case "batchnorm1d", "batchnorm2d" -> {
                int f = a.atLeast("num_features", 1);
                if (a.bool("affine", true)) {
                    out.put(prefix + "weight", Shape.of(f));
                    out.put(prefix + "bias", Shape.of(f));
                }
                if (a.bool("track_running_stats", true)) {
                    out.put(prefix + "running_mean", Shape.of(f));
                    out.put(prefix + "running_var", Shape.of(f));
                    out.put(prefix + "num_batches_tracked", Shape.of());
                }
            }
            case "layernorm" -> {
                Shape s = shape(op, "normalized_shape", a.intsAtLeast("normalized_shape", 1));
                if (a.bool("elementwise_affine", true)) {
                    out.put(prefix + "weight", s);
                    out.put(prefix + "bias", s);
                }
            }
            case "groupnorm" -> {
                int g = a.atLeast("num_groups", 1);
                int c = a.atLeast("num_channels", 1);
                if (c % g != 0) {
                    throw new IllegalArgumentException(op + ": 'num_groups' (" + g + ") must divide 'num_channels' ("
                            + c + ")");
                }
                if (a.bool("affine", true)) {
                    out.put(prefix + "weight", Shape.of(c));
                    out.put(prefix + "bias", Shape.of(c));
                }
            }
            default -> {
                if (!PARAMETERLESS.contains(op)) {
                    throw unknownOp(op);
                }
            }
        }
    }

    private static Shape shape(String op, String what, int... dims) {
        long n = Shape.elementCount(dims);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": its " + what + " would have " + java.util.Arrays.toString(dims)
                    + " = " + (n == Long.MAX_VALUE ? "more than 2^63-1" : Long.toString(n))
                    + " elements, more than a tensor holds (2^31-1)");
        }
        return Shape.of(dims);
    }

    private static Module sequential(SpecArgs a, Backend backend) {
        Object value = a.node("layers");
        if (!(value instanceof List<?> layers) || layers.isEmpty()) {
            throw new IllegalArgumentException("sequential: 'layers' must be a non-empty JSON list");
        }
        List<Module> modules = new ArrayList<>();
        try {
            for (int i = 0; i < layers.size(); i++) {
                try {
                    if (!(layers.get(i) instanceof Map<?, ?> layer)) {
                        throw new IllegalArgumentException("a layer spec must be a JSON object, got " + Json.write(layers.get(i)));
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> spec = (Map<String, Object>) layer;
                    modules.add(build(spec, backend));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("layer " + i + ": " + e.getMessage(), e);
                }
            }
            return new Sequential(modules.toArray(Module[]::new));
        } catch (RuntimeException e) {
            modules.forEach(Module::close);
            throw e;
        }
    }

    /** PyTorch's {@code inplace} flag is accepted and ignored: layers4j's layers always return a new tensor. */
    private static Module inplace(SpecArgs a, Module m) {
        a.bool("inplace", false);
        return m;
    }

    private static Module convTranspose(String op, SpecArgs a, Backend backend) {
        int in = a.integer("in_channels");
        int out = a.integer("out_channels");
        int[] k = a.ints("kernel_size");
        ConvTransposeBuilder<? extends ConvTranspose> b = op.equals("convtranspose1d") ? ConvTranspose1d.builder(in, out, k)
                : ConvTranspose2d.builder(in, out, k);
        if (a.has("stride")) {
            b.stride(a.ints("stride"));
        }
        if (a.has("padding")) {
            b.padding(a.ints("padding"));
        }
        if (a.has("output_padding")) {
            b.outputPadding(a.ints("output_padding"));
        }
        if (a.has("dilation")) {
            b.dilation(a.ints("dilation"));
        }
        b.groups(a.integer("groups", 1)).bias(a.bool("bias", true))
                .paddingMode(PaddingMode.fromTorchName(a.string("padding_mode", "zeros")));
        return b.backend(backend).seed(0).build();
    }

    private static Module upsample(SpecArgs a, Backend backend) {
        int[] size = a.has("size") && !a.isNull("size") ? a.ints("size") : null;
        double[] scale = a.has("scale_factor") && !a.isNull("scale_factor") ? a.numbers("scale_factor") : null;
        Boolean align = a.has("align_corners") && !a.isNull("align_corners") ? a.bool("align_corners", false) : null;
        Boolean recompute = a.has("recompute_scale_factor") && !a.isNull("recompute_scale_factor")
                ? a.bool("recompute_scale_factor", false) : null;
        return new Upsample(size, scale, a.string("mode", "nearest"), align, recompute, backend);
    }

    private static Module conv(String op, SpecArgs a, Backend backend) {
        int in = a.integer("in_channels");
        int out = a.integer("out_channels");
        int[] k = a.ints("kernel_size");
        ConvBuilder<? extends Convolution> b = op.equals("conv1d") ? Conv1d.builder(in, out, k) : Conv2d.builder(in, out, k);
        if (a.has("stride")) {
            b.stride(a.ints("stride"));
        }
        if (a.has("padding")) {
            Object p = a.node("padding");
            if (p instanceof String ps) {
                b.padding(ps);
            } else {
                b.padding(a.ints("padding"));
            }
        }
        if (a.has("dilation")) {
            b.dilation(a.ints("dilation"));
        }
        b.groups(a.integer("groups", 1)).bias(a.bool("bias", true))
                .paddingMode(PaddingMode.fromTorchName(a.string("padding_mode", "zeros")));
        return b.backend(backend).seed(0).build();
    }

    private static Module batchNorm(String op, SpecArgs a, Backend backend) {
        int f = a.integer("num_features");
        double eps = a.number("eps", 1e-5);
        Double momentum = Double.valueOf(0.1);
        if (a.has("momentum")) {
            momentum = a.isNull("momentum") ? null : Double.valueOf(a.number("momentum", 0.1));
        }
        boolean affine = a.bool("affine", true);
        boolean track = a.bool("track_running_stats", true);
        return op.equals("batchnorm1d") ? new BatchNorm1d(f, eps, momentum, affine, track, backend)
                : new BatchNorm2d(f, eps, momentum, affine, track, backend);
    }

    private static Module pool(String op, SpecArgs a, Backend backend) {
        PoolOptions o = PoolOptions.of(a.ints("kernel_size")).backend(backend);
        if (a.has("stride") && !a.isNull("stride")) {
            o.stride(a.ints("stride"));
        }
        o.padding(a.has("padding") ? a.ints("padding") : new int[] {0}).ceilMode(a.bool("ceil_mode", false));
        if (op.startsWith("max")) {
            if (a.has("dilation")) {
                o.dilation(a.ints("dilation"));
            }
            if (a.bool("return_indices", false)) {
                throw new IllegalArgumentException(op + ": return_indices=True is not supported");
            }
            return op.equals("maxpool1d") ? new MaxPool1d(o) : new MaxPool2d(o);
        }
        o.countIncludePad(a.bool("count_include_pad", true));
        if (op.equals("avgpool2d")) {
            o.divisorOverride(a.optionalInteger("divisor_override"));
            return new AvgPool2d(o);
        }
        return new AvgPool1d(o);
    }

    // ---- module -> spec --------------------------------------------------------------------------

    /** The spec of a module built from this library's layers (IllegalArgumentException for other modules). */
    public static Map<String, Object> describe(Module m) {
        return Json.parseObject(Json.write(describeRaw(m))); // the types a parsed spec has (Long integers, ...)
    }

    private static Map<String, Object> describeRaw(Module m) {
        Map<String, Object> o = new LinkedHashMap<>();
        if (m instanceof Sequential s) {
            o.put("op", "sequential");
            List<Object> layers = new ArrayList<>();
            s.modules().forEach(c -> layers.add(describeRaw(c)));
            o.put("layers", layers);
        } else if (m instanceof Convolution c) {
            ConvSpec sp = c.spec();
            o.put("op", "conv" + sp.dims() + "d");
            o.put("in_channels", sp.inChannels());
            o.put("out_channels", sp.outChannels());
            ints(o, "kernel_size", sp.kernelSize());
            ints(o, "stride", sp.stride());
            if (sp.paddingKind() == ConvSpec.PaddingKind.EXPLICIT) {
                ints(o, "padding", sp.padding());
            } else {
                o.put("padding", sp.paddingKind() == ConvSpec.PaddingKind.SAME ? "same" : "valid");
            }
            ints(o, "dilation", sp.dilation());
            o.put("groups", sp.groups());
            o.put("bias", sp.bias());
            o.put("padding_mode", sp.paddingMode().torchName());
        } else if (m instanceof Linear l) {
            o.put("op", "linear");
            o.put("in_features", l.inFeatures());
            o.put("out_features", l.outFeatures());
            o.put("bias", l.bias() != null);
        } else if (m instanceof ReLU6) {
            o.put("op", "relu6");
        } else if (m instanceof Hardtanh h) {
            o.put("op", "hardtanh");
            o.put("min_val", h.minVal());
            o.put("max_val", h.maxVal());
        } else if (m instanceof SiLU || m instanceof Hardswish || m instanceof Hardsigmoid || m instanceof Identity) {
            o.put("op", m.getClass().getSimpleName().toLowerCase());
        } else if (m instanceof GELU g) {
            o.put("op", "gelu");
            o.put("approximate", g.approximate());
        } else if (m instanceof LayerNorm l) {
            o.put("op", "layernorm");
            ints(o, "normalized_shape", l.normalizedShape());
            o.put("eps", l.eps());
            o.put("elementwise_affine", l.elementwiseAffine());
        } else if (m instanceof GroupNorm g) {
            o.put("op", "groupnorm");
            o.put("num_groups", g.numGroups());
            o.put("num_channels", g.numChannels());
            o.put("eps", g.eps());
            o.put("affine", g.affine());
        } else if (m instanceof ConvTranspose c) {
            o.put("op", "convtranspose" + c.kernelSize().length + "d");
            o.put("in_channels", c.inChannels());
            o.put("out_channels", c.outChannels());
            ints(o, "kernel_size", c.kernelSize());
            ints(o, "stride", c.stride());
            ints(o, "padding", c.padding());
            ints(o, "output_padding", c.outputPadding());
            o.put("groups", c.groups());
            o.put("bias", c.hasBias());
            ints(o, "dilation", c.dilation());
            o.put("padding_mode", c.paddingMode().torchName());
        } else if (m instanceof Upsample u) {
            o.put("op", "upsample");
            o.put("size", u.size() == null ? null : java.util.Arrays.stream(u.size()).boxed().toList());
            o.put("scale_factor", u.scaleFactor() == null ? null
                    : java.util.Arrays.stream(u.scaleFactor()).boxed().toList());
            o.put("mode", u.mode());
            o.put("align_corners", u.alignCorners());
        } else if (m instanceof Dropout2d d) {
            o.put("op", "dropout2d");
            o.put("p", d.p());
        } else if (m instanceof LeakyReLU l) {
            o.put("op", "leakyrelu");
            o.put("negative_slope", l.negativeSlope());
        } else if (m instanceof ReLU || m instanceof Sigmoid || m instanceof Tanh) {
            o.put("op", m.getClass().getSimpleName().toLowerCase());
        } else if (m instanceof Softmax s) {
            o.put("op", m.getClass().getSimpleName().toLowerCase());
            o.put("dim", s.dim());
        } else if (m instanceof Flatten f) {
            o.put("op", "flatten");
            o.put("start_dim", f.startDim());
            o.put("end_dim", f.endDim());
        } else if (m instanceof Dropout d) {
            o.put("op", "dropout");
            o.put("p", d.p());
        } else if (m instanceof Embedding e) {
            o.put("op", "embedding");
            o.put("num_embeddings", e.numEmbeddings());
            o.put("embedding_dim", e.embeddingDim());
            if (e.paddingIdx() == null) {
                o.put("padding_idx", null);
            } else {
                o.put("padding_idx", e.paddingIdx());
            }
        } else if (m instanceof BatchNorm b) {
            o.put("op", m.getClass().getSimpleName().toLowerCase());
            o.put("num_features", b.numFeatures());
            o.put("eps", b.eps());
            if (b.momentum() == null) {
                o.put("momentum", null);
            } else {
                o.put("momentum", b.momentum());
            }
            o.put("affine", b.affine());
            o.put("track_running_stats", b.trackRunningStats());
        } else if (m instanceof Pooling p) {
            String op = m.getClass().getSimpleName().toLowerCase();
            o.put("op", op);
            ints(o, "kernel_size", p.kernelSize());
            ints(o, "stride", p.stride());
            ints(o, "padding", p.padding());
            if (op.startsWith("max")) {
                ints(o, "dilation", p.dilation());
            }
            o.put("ceil_mode", p.ceilMode());
            if (op.startsWith("avg")) {
                o.put("count_include_pad", p.countIncludePad());
                if (op.equals("avgpool2d")) {
                    if (p.divisorOverride() == null) {
                        o.put("divisor_override", null);
                    } else {
                        o.put("divisor_override", p.divisorOverride());
                    }
                }
            }
        } else if (m instanceof AdaptivePooling p) {
            o.put("op", m.getClass().getSimpleName().toLowerCase());
            Integer[] s = p.outputSize();
            if (s.length == 1) {
                o.put("output_size", s[0]);
            } else {
                o.put("output_size", java.util.Arrays.asList(s));
            }
        } else {
            throw new IllegalArgumentException("cannot describe a " + m.getClass().getName() + " as a layer spec; model"
                    + " files hold Sequential models of this library's layers");
        }
        return o;
    }

    private static void ints(Map<String, Object> o, String key, int[] v) {
        o.put(key, v.clone());
    }

    /**
     * A spec from the flat string metadata of a single-layer fixture ({@code {"op": "conv2d",
     * "kernel_size": "[3, 3]", "padding": "same", ...}}): each value parsed as JSON where it is JSON,
     * else kept as a string; {@code training} and {@code reference} are not constructor arguments.
     */
    public static Map<String, Object> fromMetadata(Map<String, String> metadata) {
        Map<String, Object> o = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (k.equals("training") || k.equals("reference") || k.equals("format")) {
                return;
            }
            Object parsed;
            try {
                parsed = Json.parse(v);
            } catch (IllegalArgumentException e) {
                parsed = v; // not JSON: a plain string such as 'same' or 'zeros'
            }
            o.put(k, parsed);
        });
        return o;
    }
}
