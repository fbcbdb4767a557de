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
 * Turns every convolution ({@code conv1d} / {@code conv2d} module call) into a {@link FusedConv} node, which runs
 * it on weights prepared once, and folds into it what follows it (ONNX Runtime's {@code conv_add_fusion} and
 * {@code conv_activation_fusion}): an {@code add} of another value (a residual; {@code alpha} 1) that is the
 * convolution's only user, then an activation that is the only user of what came before: {@code relu},
 * {@code relu6}, {@code hardtanh}, {@code silu}, {@code hardswish}, {@code hardsigmoid}, {@code gelu} as modules or
 * functions with constant arguments, and ONNX's {@code Relu} / {@code Add}. The fused node takes the
 * convolution's name at the place of the last node it replaces (the residual may be computed after the
 * convolution, as ResNet's downsample branch is). Runs after {@link BatchNormFolding}, so conv - BatchNorm - ReLU
 * becomes one node.
 */
public final class ConvEpilogueFusion implements GraphPass {
    private static final Set<String> ADDS = Set.of("add", "onnx.Add");
    private static final Set<String> UNARY = Set.of("silu", "hardswish", "hardsigmoid");

    /** A matched activation: FusedConv's activation arguments. */
    private record Activation(String name, double min, double max, String approximate) {
    }

    @Override
    public String name() {
        return "conv-epilogue-fusion";
    }

    @Override
    public FrozenGraph apply(FrozenGraph g) {
        Map<String, List<Node>> users = g.users();
        Map<Node, Node> placed = new HashMap<>(); // last node of a match -> the fused node that takes its place
        Set<Node> removed = new HashSet<>();
        Map<String, String> renames = new HashMap<>();
        for (Node c : g.graph().nodes()) {
            String op = g.moduleOp(c);
            if (!"conv2d".equals(op) && !"conv1d".equals(op)) {
                continue;
            }
            Map<String, Object> kwargs = new LinkedHashMap<>();
            Node last = c;
            Node add = single(users.get(c.name()));
            // of two convolutions added together (ResNet's main and downsample branches), the first takes the add
            Object residual = add == null || removed.contains(add) ? null : residual(g, add, c.name());
            if (residual != null) {
                kwargs.put("residual", residual);
                kwargs.put("add", add.target());
                last = add;
            }
            Node act = single(users.get(last.name()));
            Activation a = act == null || removed.contains(act) || placed.containsKey(act) ? null
                    : activation(g, act, last.name());
            if (a != null) {
                kwargs.put("activation", a.name());
                if (a.name().equals("hardtanh")) {
                    kwargs.put("min_val", a.min());
                    kwargs.put("max_val", a.max());
                }
                if (a.name().equals("gelu")) {
                    kwargs.put("approximate", a.approximate());
                }
                last = act;
            }
            List<Object> args = List.of(c.args().get(0), c.target());
            placed.put(last, new Node(c.name(), Opcode.CALL_FUNCTION, FusedConv.OP, args, kwargs));
            if (last != c) {
                removed.add(c);
                if (add != null && residual != null) {
                    removed.add(add);
                }
                renames.put(last.name(), c.name());
            }
        }
        if (placed.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.graph().nodes()) {
            Node fused = placed.get(n);
            if (fused != null) {
                nodes.add(FrozenGraph.renamed(fused, renames));
            } else if (!removed.contains(n)) {
                nodes.add(FrozenGraph.renamed(n, renames));
            }
        }
        return g.with(new Graph(g.graph().modules(), nodes));
    }

    /** The only user, or null when there are none or several (the output node counts as one). */
    private static Node single(List<Node> users) {
        return users.size() == 1 ? users.get(0) : null;
    }

    /** The other operand of {@code add(input, other)} when one operand is {@code conv} itself, else null. */
    private static Object residual(FrozenGraph g, Node add, String conv) {
        if (add.op() != Opcode.CALL_FUNCTION || !ADDS.contains(add.target())) {
            return null;
        }
        Map<String, Object> a = g.arguments(add);
        if (a == null) {
            return null;
        }
        List<?> operands;
        if (add.target().equals("add")) {
            Object alpha = a.get("alpha");
            if (!(alpha instanceof Number n) || n.doubleValue() != 1) {
                return null;
            }
            operands = List.of(a.get("input"), a.get("other"));
        } else {
            if (!(a.get("inputs") instanceof List<?> l) || l.size() != 2 || !Long.valueOf(1).equals(a.get("outputs"))) {
                return null;
            }
            operands = l;
        }
        Ref self = new Ref(conv);
        if (operands.get(0).equals(self) == operands.get(1).equals(self)) {
            return null; // add(conv, conv), or conv not an operand
        }
        Object other = operands.get(0).equals(self) ? operands.get(1) : operands.get(0);
        return other instanceof Ref ? other : null;
    }

    /** The activation node {@code n} applies to {@code input}, or null when it is none that fuses. */
    private static Activation activation(FrozenGraph g, Node n, String input) {
        Ref in = new Ref(input);
        String op = g.moduleOp(n);
        if (op != null) {
            if (!n.args().get(0).equals(in)) {
                return null;
            }
            Map<String, Object> spec = g.graph().modules().get(n.target());
            return of(op, spec.get("min_val"), spec.get("max_val"), spec.get("approximate"));
        }
        Map<String, Object> a = g.arguments(n);
        if (a == null) {
            return null;
        }
        if (n.target().equals("onnx.Relu")) {
            return a.get("inputs") instanceof List<?> l && l.equals(List.of(in)) && Long.valueOf(1).equals(a.get("outputs"))
                    ? new Activation("relu", 0, 0, null) : null;
        }
        if (!in.equals(a.get("input")) || a.values().stream().filter(v -> v instanceof Ref).count() != 1) {
            return null;
        }
        return of(n.target(), a.get("min_val"), a.get("max_val"), a.get("approximate"));
    }

    /** The activation of a module spec op or function name with its arguments (null where not constant). */
    private static Activation of(String op, Object min, Object max, Object approximate) {
        return switch (op) {
            case "relu" -> new Activation("relu", 0, 0, null);
            case "relu6" -> new Activation("hardtanh", 0, 6, null);
            case "hardtanh" -> number(min, -1) != null && number(max, 1) != null
                    ? new Activation("hardtanh", number(min, -1), number(max, 1), null) : null;
            case "gelu" -> approximate == null || approximate.equals("none") || approximate.equals("tanh")
                    ? new Activation("gelu", 0, 0, approximate == null ? "none" : (String) approximate) : null;
            default -> UNARY.contains(op) ? new Activation(op, 0, 0, null) : null;
        };
    }

    private static Double number(Object v, double absent) {
        if (v == null) {
            return absent;
        }
        return v instanceof Number n && !Double.isNaN(n.doubleValue()) ? n.doubleValue() : null;
    }
}
