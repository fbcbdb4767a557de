package org.layers4j.onnx;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.HostTensor;

/**
 * Conv and Gemm nodes whose weights are initializers, as this library's layers ({@code conv1d} /
 * {@code conv2d}, {@code linear}): their weights become the layers' parameters (trainable, in the state_dict
 * as {@code <layer>.weight} / {@code <layer>.bias}) and the computation is PyTorch's. Nodes that do not fit
 * (weights computed at run time, asymmetric or automatic pads, transposed A, alpha / beta) run as
 * {@code onnx.Conv} / {@code onnx.Gemm} instead.
 */
final class ConvLeaves {
    private ConvLeaves() {
    }

    static boolean conv(OnnxConverter cv, OnnxProto.NodeProto p, Map<String, Object> attrs) throws IOException {
        List<String> in = p.inputs();
        if (in.size() < 2 || in.get(0).isEmpty() || !cv.isFreeInitializer(in.get(1))
                || in.size() > 2 && !in.get(2).isEmpty() && !cv.isFreeInitializer(in.get(2))) {
            return false;
        }
        boolean bias = in.size() > 2 && !in.get(2).isEmpty();
        String auto = (String) attrs.getOrDefault("auto_pad", "NOTSET");
        NdArray w = cv.initializer(in.get(1));
        int n = w.rank() - 2;
        if (n != 1 && n != 2 || w.integer) {
            return false;
        }
        boolean same = auto.startsWith("SAME_");
        int[] pads = !auto.equals("NOTSET") ? null : OnnxCall.ints("Conv", "pads", attrs.get("pads"));
        int[] pad = new int[n];
        List<Object> extra = null; // F.pad's list (last dimension first) for the asymmetric part of the pads
        if (pads != null) {
            if (pads.length != 2 * n) {
                return false;
            }
            Long[] torch = new Long[2 * n];
            boolean asymmetric = false;
            for (int i = 0; i < n; i++) {
                pad[i] = Math.min(pads[i], pads[i + n]);
                torch[2 * (n - 1 - i)] = (long) (pads[i] - pad[i]);
                torch[2 * (n - 1 - i) + 1] = (long) (pads[i + n] - pad[i]);
                asymmetric |= pads[i] != pads[i + n];
            }
            if (asymmetric) {
                extra = List.of((Object[]) torch);
            }
        }
        int[] stride = orOnes(OnnxCall.ints("Conv", "strides", attrs.get("strides")), n);
        int[] dil = orOnes(OnnxCall.ints("Conv", "dilations", attrs.get("dilations")), n);
        int[] kernel = Arrays.copyOfRange(w.shape, 2, w.rank());
        int[] declared = OnnxCall.ints("Conv", "kernel_shape", attrs.get("kernel_shape"));
        if (stride == null || dil == null || declared != null && !Arrays.equals(declared, kernel)) {
            return false;
        }
        long group = attrs.get("group") instanceof Long g ? g : 1;
        NdArray b = bias ? cv.initializer(in.get(2)) : null;
        if (group < 1 || w.shape[0] % group != 0 || b != null && (b.rank() != 1 || b.shape[0] != w.shape[0])) {
            return false;
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("op", n == 1 ? "conv1d" : "conv2d");
        spec.put("in_channels", (long) w.shape[1] * group);
        spec.put("out_channels", (long) w.shape[0]);
        spec.put("kernel_size", ConvPoolKernels.longs(kernel));
        spec.put("stride", ConvPoolKernels.longs(stride));
        spec.put("padding", ConvPoolKernels.longs(pad));
        spec.put("dilation", ConvPoolKernels.longs(dil));
        spec.put("groups", group);
        spec.put("bias", bias);
        spec.put("padding_mode", "zeros");
        Map<String, HostTensor> st = new LinkedHashMap<>();
        st.put("weight", OnnxTensors.toHost(w));
        if (b != null) {
            st.put("bias", OnnxTensors.toHost(b));
        }
        String layer = cv.leaf(layerName(in.get(1), p), spec, st);
        String x = cv.ref(in.get(0));
        String out = p.outputs().get(0);
        if (extra != null) {
            // asymmetric pads: F.pad first, the layer takes the symmetric part
            String padded = cv.uniqueNode("%pad_" + out);
            cv.addNode(new Node(padded, Opcode.CALL_FUNCTION, "pad", List.of(new Ref(x), extra), Map.of("mode",
                    "constant", "value", 0.0)));
            x = padded;
        } else if (same) {
            // SAME_UPPER / SAME_LOWER: the pads depend on the input's size, computed per call
            String padded = cv.uniqueNode("%same_pad_" + out);
            cv.addNode(new Node(padded, Opcode.CALL_FUNCTION, OnnxOps.SAME_PAD, List.of(new Ref(x), ConvPoolKernels.longs(
                    kernel), ConvPoolKernels.longs(stride), ConvPoolKernels.longs(dil), auto.equals("SAME_UPPER")),
                    Map.of()));
            x = padded;
        }
        cv.define(out, new Node(cv.uniqueNode(out), Opcode.CALL_MODULE, layer, List.of(new Ref(x)), Map.of()));
        return true;
    }

    static boolean gemm(OnnxConverter cv, OnnxProto.NodeProto p, Map<String, Object> attrs) throws IOException {
        List<String> in = p.inputs();
        if (in.size() < 2 || !cv.isFreeInitializer(in.get(1))
                || in.size() > 2 && !in.get(2).isEmpty() && !cv.isFreeInitializer(in.get(2))) {
            return false;
        }
        if (attrs.get("transA") instanceof Long t && t != 0 || attrs.get("alpha") instanceof Double a && a != 1
                || attrs.get("beta") instanceof Double be && be != 1) {
            return false;
        }
        boolean transB = attrs.get("transB") instanceof Long t && t != 0;
        NdArray w = cv.initializer(in.get(1));
        if (w.rank() != 2 || w.integer) {
            return false;
        }
        if (!transB) {
            w = w.transpose(new int[] {1, 0});
        }
        boolean bias = in.size() > 2 && !in.get(2).isEmpty();
        NdArray b = bias ? cv.initializer(in.get(2)) : null;
        if (b != null && (b.integer || b.data.length != w.shape[0] || b.rank() > 1 && b.shape[b.rank() - 1] != w.shape[0])) {
            return false;
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("op", "linear");
        spec.put("in_features", (long) w.shape[1]);
        spec.put("out_features", (long) w.shape[0]);
        spec.put("bias", bias);
        Map<String, HostTensor> st = new LinkedHashMap<>();
        st.put("weight", OnnxTensors.toHost(w));
        if (b != null) {
            st.put("bias", OnnxTensors.toHost(b.reshape(new int[] {w.shape[0]})));
        }
        String layer = cv.leaf(layerName(in.get(1), p), spec, st);
        String x = cv.ref(in.get(0));
        String out = p.outputs().get(0);
        cv.define(out, new Node(cv.uniqueNode(out), Opcode.CALL_MODULE, layer, List.of(new Ref(x)), Map.of()));
        return true;
    }

    /** MatMul(x, W) with W a 2-d float initializer [K, N]: a bias-free {@code linear} layer of weight W^T. */
    static boolean matmul(OnnxConverter cv, OnnxProto.NodeProto p) throws IOException {
        List<String> in = p.inputs();
        if (in.size() != 2 || in.get(0).isEmpty() || !cv.isFreeInitializer(in.get(1))) {
            return false;
        }
        NdArray w = cv.initializer(in.get(1));
        if (w.rank() != 2 || w.integer) {
            return false;
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("op", "linear");
        spec.put("in_features", (long) w.shape[0]);
        spec.put("out_features", (long) w.shape[1]);
        spec.put("bias", false);
        Map<String, HostTensor> st = new LinkedHashMap<>();
        st.put("weight", OnnxTensors.toHost(w.transpose(new int[] {1, 0})));
        String layer = cv.leaf(layerName(in.get(1), p), spec, st);
        String x = cv.ref(in.get(0));
        String out = p.outputs().get(0);
        cv.define(out, new Node(cv.uniqueNode(out), Opcode.CALL_MODULE, layer, List.of(new Ref(x)), Map.of()));
        return true;
    }

    private static int[] orOnes(int[] v, int n) {
        if (v == null) {
            int[] o = new int[n];
            Arrays.fill(o, 1);
            return o;
        }
        return v.length == n ? v : null;
    }

    /** {@code layer1.0.conv1.weight} names the layer {@code layer1_0_conv1}; else the node's name or op type. */
    private static String layerName(String weight, OnnxProto.NodeProto p) {
        if (weight.endsWith(".weight") && !weight.contains("::")) {
            return weight.substring(0, weight.length() - ".weight".length());
        }
        return p.name().isEmpty() ? p.opType().toLowerCase() : p.name();
    }
}
