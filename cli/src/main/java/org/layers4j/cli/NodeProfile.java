package org.layers4j.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.nn.Module;

/**
 * Where an eval forward's time goes, per node of the graph it runs ({@link GraphModule#inferenceModule}: the compiled
 * graph of a compiled model): each node is charged the wall time from the previous node's result to its own (its op,
 * and freeing the values no later node reads), measured over several forwards; the table lists the nodes by median
 * time, then the totals per op (a node's module class or function). Timing every node adds a clock read per node,
 * so the sum is a little above an unobserved forward.
 */
final class NodeProfile {
    /** One node's times, one per profiled forward. */
    private record Row(Node node, String op, String shape, double[] ms) {
        double median() {
            double[] s = ms.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    private NodeProfile() {
    }

    /** Profiles {@code runs} eval forwards of {@code model} on {@code x} and prints the top {@code top} nodes. */
    static void print(PrintWriter out, GraphModule model, Tensor x, int runs, int top) {
        GraphModule m = model.inferenceModule();
        Map<String, Row> rows = new LinkedHashMap<>();
        long[] last = new long[1];
        int[] run = new int[1];
        m.observe((node, module, value) -> {
            long now = System.nanoTime();
            Row r = rows.computeIfAbsent(node.name(), k -> new Row(node, op(node, module), shape(value), new double[runs]));
            r.ms[run[0]] += (now - last[0]) / 1e6;
            last[0] = System.nanoTime();
        });
        try {
            for (run[0] = 0; run[0] < runs; run[0]++) {
                last[0] = System.nanoTime();
                try (Tensor y = m.forward(x)) {
                    y.shape();
                }
            }
        } finally {
            m.observe(null);
        }
        List<Row> byTime = new ArrayList<>(rows.values());
        byTime.sort(Comparator.comparingDouble(Row::median).reversed());
        double total = byTime.stream().mapToDouble(Row::median).sum();
        out.printf("per node (%s graph, %d nodes, %d observed forwards; medians, sum %.3f ms):%n",
                m != model || model.isInferenceOnly() ? "the compiled" : "the model's", rows.size(), runs, total);
        out.printf("  %-34s %-28s %-20s %9s %6s%n", "node", "op", "output", "ms", "share");
        for (Row r : byTime.subList(0, Math.min(top, byTime.size()))) {
            out.printf("  %-34s %-28s %-20s %9.3f %5.1f%%%n", clip(r.node.name(), 34), clip(r.op, 28), r.shape,
                    r.median(), 100 * r.median() / total);
        }
        Map<String, double[]> perOp = new LinkedHashMap<>();
        for (Row r : rows.values()) {
            double[] acc = perOp.computeIfAbsent(r.op, k -> new double[2]);
            acc[0] += r.median();
            acc[1]++;
        }
        out.println("per op:");
        perOp.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> out.printf("  %-40s %4d nodes %9.3f ms %5.1f%%%n", clip(e.getKey(), 40),
                        (int) e.getValue()[1], e.getValue()[0], 100 * e.getValue()[0] / total));
    }

    private static String op(Node node, Module module) {
        return switch (node.op()) {
            case CALL_MODULE -> module == null ? node.target() : module.getClass().getSimpleName();
            case CALL_FUNCTION -> node.target();
            default -> node.op().json();
        };
    }

    private static String shape(Object value) {
        return value instanceof Tensor t && !t.isClosed() ? t.shape().dimsString() : "";
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
