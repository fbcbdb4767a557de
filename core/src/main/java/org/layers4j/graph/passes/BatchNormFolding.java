package org.layers4j.graph.passes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.graph.Graph;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Dict;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.HostTensor;

/**
 * Folds an eval-mode BatchNorm into the convolution or linear layer before it (ONNX Runtime's
 * {@code conv_bn_fusion}, torch.fx's {@code fuse_conv_bn_eval}): with s = gamma / sqrt(running_var + eps),
 * the layer's weight becomes w * s per output channel and its bias (created when absent) (b - running_mean) * s
 * + beta, computed in float64 from the float32 values and rounded once. The BatchNorm node, its module and its
 * state disappear; its users read the layer's output.
 *
 * <p>It matches a {@code batchnorm2d} module after a {@code conv2d}, a {@code batchnorm1d} after a {@code conv1d}
 * or after a {@code linear} whose output is certainly 2-D (its input comes from {@code flatten(x, 1)}, through
 * element-wise layers: BatchNorm1d normalizes dimension 1, a linear layer its last), and ONNX's
 * {@code BatchNormalization} (inference form, its four inputs read by {@code get_attr}) after a convolution. Only
 * when the layer's output has no other user, each module is called once and no {@code get_attr} reads their
 * state (shared or tied weights stay as they are), and the BatchNorm uses running statistics in eval mode
 * ({@code track_running_stats}). One difference remains in error cases: an unbatched input, which BatchNorm2d
 * refuses, runs through the folded convolution.
 */
public final class BatchNormFolding implements GraphPass {
    /** The ONNX front end's op. */
    static final String ONNX_BATCH_NORM = "onnx.BatchNormalization";
    private static final Set<String> ELEMENT_WISE = Set.of("relu", "relu6", "hardtanh", "silu", "hardswish",
            "hardsigmoid", "gelu", "sigmoid", "tanh", "leakyrelu", "dropout", "identity", "batchnorm1d", "linear");

    /** A BatchNorm's input node and statistics; gamma / beta null without affine; module null for ONNX's op. */
    private record Statistics(String input, double[] gamma, double[] beta, double[] mean, double[] var, double eps,
                              String module) {
    }

    @Override
    public String name() {
        return "batchnorm-folding";
    }

    @Override
    public FrozenGraph apply(FrozenGraph g) {
        Map<String, List<Node>> users = g.users();
        Map<String, Node> byName = g.byName();
        Map<String, Integer> calls = g.moduleCalls();
        FrozenState state = FrozenState.copyOf(g.state());
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>(g.graph().modules());
        Map<String, String> renames = new HashMap<>();
        for (Node n : g.graph().nodes()) {
            Statistics st = n.op() == Opcode.CALL_MODULE ? moduleStatistics(g, n, state, calls)
                    : onnxStatistics(g, n, byName, state);
            if (st == null) {
                continue;
            }
            Node layer = byName.get(st.input());
            if (layer == null || !folds(g, n, layer, byName, users, calls, st)) {
                continue;
            }
            if (!fold(layer.target(), st, state, modules)) {
                continue;
            }
            if (st.module() != null) {
                modules.remove(st.module());
                state.keySet().removeIf(k -> k.startsWith(st.module() + "."));
            }
            renames.put(n.name(), layer.name());
        }
        if (renames.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.graph().nodes()) {
            if (!renames.containsKey(n.name())) {
                nodes.add(FrozenGraph.renamed(n, renames));
            }
        }
        return new FrozenGraph(new Graph(modules, nodes), state, g.registry());
    }

    /** The statistics of a BatchNorm module called by {@code n} in eval mode, or null. */
    private static Statistics moduleStatistics(FrozenGraph g, Node n, Map<String, HostTensor> state,
                                               Map<String, Integer> calls) {
        String op = g.moduleOp(n);
        if (!"batchnorm2d".equals(op) && !"batchnorm1d".equals(op) || calls.get(n.target()) != 1 || g.isRead(n.target())
                || !(n.args().get(0) instanceof Ref in)) {
            return null;
        }
        Map<String, Object> spec = g.graph().modules().get(n.target());
        if (Boolean.FALSE.equals(spec.get("track_running_stats"))) {
            return null; // batch statistics in eval mode too
        }
        String p = n.target() + ".";
        boolean affine = !Boolean.FALSE.equals(spec.get("affine"));
        double eps = spec.get("eps") instanceof Number e ? e.doubleValue() : 1e-5;
        return new Statistics(in.name(), affine ? values(state.get(p + "weight")) : null,
                affine ? values(state.get(p + "bias")) : null, values(state.get(p + "running_mean")),
                values(state.get(p + "running_var")), eps, n.target());
    }

    /** The statistics of ONNX's inference BatchNormalization whose parameters are read by get_attr, or null. */
    private static Statistics onnxStatistics(FrozenGraph g, Node n, Map<String, Node> byName,
                                             Map<String, HostTensor> state) {
        if (n.op() != Opcode.CALL_FUNCTION || !n.target().equals(ONNX_BATCH_NORM)) {
            return null;
        }
        Map<String, Object> a = g.arguments(n);
        if (a == null || !(a.get("inputs") instanceof List<?> in) || in.size() != 5 || !(in.get(0) instanceof Ref x)
                || !Long.valueOf(1).equals(a.get("outputs"))) {
            return null;
        }
        Map<String, Object> attrs = a.get("attrs") instanceof Dict d ? d.entries() : Map.of();
        if (attrs.get("training_mode") instanceof Long t && t != 0) {
            return null;
        }
        double[][] v = new double[4][];
        for (int i = 0; i < 4; i++) {
            Node src = in.get(i + 1) instanceof Ref r ? byName.get(r.name()) : null;
            if (src == null || src.op() != Opcode.GET_ATTR || (v[i] = values(state.get(src.target()))) == null) {
                return null;
            }
        }
        double eps = attrs.get("epsilon") instanceof Number e ? (float) e.doubleValue() : 1e-5f;
        return new Statistics(x.name(), v[0], v[1], v[2], v[3], eps, null);
    }

    /** Whether {@code layer} may take the BatchNorm {@code bn}: its only user, a layer of the right kind, untied. */
    private static boolean folds(FrozenGraph g, Node bn, Node layer, Map<String, Node> byName,
                                 Map<String, List<Node>> users, Map<String, Integer> calls, Statistics st) {
        String op = g.moduleOp(layer);
        String bnOp = st.module() == null ? null : g.moduleOp(bn);
        boolean kind = st.module() == null ? "conv2d".equals(op) || "conv1d".equals(op)
                : "batchnorm2d".equals(bnOp) ? "conv2d".equals(op)
                : "conv1d".equals(op) || "linear".equals(op) && twoDimensional(g, layer, byName, 8);
        return kind && users.get(layer.name()).equals(List.of(bn)) && calls.get(layer.target()) == 1
                && !g.isRead(layer.target());
    }

    /** Whether n's output is certainly 2-D: flatten(x, 1) through element-wise and linear layers. */
    private static boolean twoDimensional(FrozenGraph g, Node n, Map<String, Node> byName, int depth) {
        if (depth == 0) {
            return false;
        }
        if (n.op() == Opcode.CALL_FUNCTION && n.target().equals("flatten")) {
            Map<String, Object> a = g.arguments(n);
            return a != null && Long.valueOf(1).equals(a.get("start_dim")) && Long.valueOf(-1).equals(a.get("end_dim"));
        }
        String op = g.moduleOp(n);
        if ("flatten".equals(op)) {
            Map<String, Object> spec = g.graph().modules().get(n.target());
            return Long.valueOf(1).equals(spec.getOrDefault("start_dim", 1L))
                    && Long.valueOf(-1).equals(spec.getOrDefault("end_dim", -1L));
        }
        return op != null && ELEMENT_WISE.contains(op) && n.args().get(0) instanceof Ref r
                && twoDimensional(g, byName.get(r.name()), byName, depth - 1);
    }

    /**
     * Writes the folded weight and bias of {@code layer} into state and marks its spec as having a bias; false
     * (nothing changed) when the shapes do not agree with the statistics.
     */
    private static boolean fold(String layer, Statistics st, FrozenState state,
                                Map<String, Map<String, Object>> modules) {
        Shape ws = state.shape(layer + ".weight");
        HostTensor b = state.get(layer + ".bias");
        if (st.mean() == null || st.var() == null) {
            return false;
        }
        int out = st.mean().length;
        if (ws == null || state.dtype(layer + ".weight") != DType.FLOAT32 || ws.rank() < 2 || ws.dim(0) != out
                || st.var().length != out
                || st.gamma() != null && (st.gamma().length != out || st.beta() == null || st.beta().length != out)
                || b != null && (b.data() == null || b.shape().size() != out)) {
            return false;
        }
        // the weight's own array when the state owns it (a loaded file's), else a fresh copy: folded in place
        HostTensor w = state.take(layer + ".weight");
        float[] wv = w.data();
        int per = wv.length / out;
        float[] nb = new float[out];
        for (int o = 0; o < out; o++) {
            double s = (st.gamma() == null ? 1.0 : st.gamma()[o]) / Math.sqrt(st.var()[o] + st.eps());
            for (int i = 0; i < per; i++) {
                wv[o * per + i] = (float) (wv[o * per + i] * s);
            }
            double bias = b == null ? 0 : b.data()[o];
            nb[o] = (float) ((bias - st.mean()[o]) * s + (st.beta() == null ? 0 : st.beta()[o]));
        }
        state.give(layer + ".weight", w);
        state.give(layer + ".bias", new HostTensor(Shape.of(out), nb));
        Map<String, Object> spec = new LinkedHashMap<>(modules.get(layer));
        spec.put("bias", true);
        modules.put(layer, spec);
        return true;
    }

    /** A float tensor's values widened to double, or null for a missing or integer tensor. */
    private static double[] values(HostTensor t) {
        if (t == null || t.data() == null) {
            return null;
        }
        float[] f = t.data();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
