package org.layers4j.graph.passes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.graph.Graph;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;

/**
 * Folds a squeeze-excitation's multiply into the convolution that reads its product (EfficientNet's and MobileNetV3's
 * {@code scale * input} before the projection convolution): a {@code mul} of two values whose only user is a
 * {@link FusedConv} of a 1 x 1, stride-1, unpadded convolution (made by {@link ConvEpilogueFusion}, which this runs
 * after; ONNX's {@code Mul} too) becomes that node's {@code scale}, so
 * the backend multiplies the input as it reads it and the product is never stored. Which operand is the [N, C, 1, 1]
 * scale is decided when the node runs; a pair the backend cannot scale that way is multiplied by the graph's own
 * {@code mul} op there, so the result is always the unfused graph's.
 */
public final class ChannelScaleFusion implements GraphPass {
    @Override
    public String name() {
        return "channel-scale-fusion";
    }

    @Override
    public FrozenGraph apply(FrozenGraph g) {
        Map<String, List<Node>> users = g.users();
        Map<String, Node> byName = g.byName();
        Map<Node, Node> replaced = new HashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node f : g.graph().nodes()) {
            if (f.op() != Opcode.CALL_FUNCTION || !FusedConv.OP.equals(f.target()) || f.kwargs().containsKey("scale")
                    || !(f.args().get(0) instanceof Ref in)) {
                continue;
            }
            Node mul = byName.get(in.name());
            List<Object> operands = mul == null || !pointwise(g.graph().modules().get(String.valueOf(f.args().get(1))))
                    ? null : operands(g, mul);
            if (operands == null || users.get(mul.name()).size() != 1) {
                continue;
            }
            Map<String, Object> kwargs = new LinkedHashMap<>(f.kwargs());
            kwargs.put("scale", operands.get(1));
            kwargs.put("mul", mul.target());
            List<Object> args = new ArrayList<>(f.args());
            args.set(0, operands.get(0));
            replaced.put(f, new Node(f.name(), f.op(), f.target(), args, kwargs));
            removed.add(mul);
        }
        if (replaced.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.graph().nodes()) {
            if (!removed.contains(n)) {
                nodes.add(replaced.getOrDefault(n, n));
            }
        }
        return g.with(new Graph(g.graph().modules(), nodes));
    }

    /**
     * Whether a convolution module's spec is 1 x 1 at stride 1 without padding (absent entries are PyTorch's
     * defaults): the only layers a backend scales as it reads them. Others keep their multiply, which in ONNX graphs
     * is mostly SiLU's {@code x * Sigmoid(x)} before a depthwise convolution, not a channel scale.
     */
    private static boolean pointwise(Map<String, Object> spec) {
        return spec != null && allEqual(spec.get("kernel_size"), 1, false) && allEqual(spec.get("stride"), 1, true)
                && allEqual(spec.get("padding"), 0, true);
    }

    /** v (a number or a list of numbers) is {@code value} throughout; null is {@code absent}. */
    private static boolean allEqual(Object v, long value, boolean absent) {
        if (v == null) {
            return absent;
        }
        if (v instanceof Number n) {
            return n.doubleValue() == value;
        }
        return v instanceof List<?> l && !l.isEmpty()
                && l.stream().allMatch(e -> e instanceof Number n && n.doubleValue() == value);
    }

    /**
     * The two value operands of {@code mul(input, other)} or ONNX's {@code Mul}, in its order, or null when n is not
     * such a multiply.
     */
    private static List<Object> operands(FrozenGraph g, Node n) {
        if (n.op() != Opcode.CALL_FUNCTION || !"mul".equals(n.target()) && !"onnx.Mul".equals(n.target())) {
            return null;
        }
        Map<String, Object> a = g.arguments(n);
        if (a == null) {
            return null;
        }
        List<?> operands;
        if (n.target().equals("mul")) {
            operands = List.of(a.get("input"), a.get("other"));
        } else if (a.get("inputs") instanceof List<?> l && l.size() == 2 && Long.valueOf(1).equals(a.get("outputs"))) {
            operands = l;
        } else {
            return null;
        }
        if (!(operands.get(0) instanceof Ref x) || !(operands.get(1) instanceof Ref s) || x.equals(s)) {
            return null;
        }
        return List.of(x, s);
    }
}
