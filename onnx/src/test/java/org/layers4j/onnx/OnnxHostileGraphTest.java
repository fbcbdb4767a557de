package org.layers4j.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.ops.Values;
import org.layers4j.spi.Backend;

/**
 * Hostile graphs built from well-formed protobuf: random op types (supported, unknown, If / Loop with
 * subgraphs), inputs that are undefined, later (cycles) or the node's own output, integer initializers with
 * huge or negative values feeding shapes, random attributes. Loading and running fail with a clear exception
 * (IOException, IllegalArgumentException, UnsupportedOperationException, IllegalStateException), never
 * another one or an OutOfMemoryError.
 */
class OnnxHostileGraphTest {
    private static final Backend BE = Backends.get("cpu");
    private static final List<String> OPS = List.of("Add", "Relu", "Reshape", "Concat", "Transpose", "Gather", "Slice",
            "Softmax", "Unsqueeze", "Squeeze", "Split", "Expand", "ConstantOfShape", "Tile", "Range", "Pad", "MaxPool",
            "Conv", "Resize", "MatMul", "Gemm", "ReduceMean", "Flatten", "If", "Loop", "NoSuchOp", "Identity");
    private static final long[] VALUES = {0, 1, 2, -1, -2, 4, 1L << 31, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 3};

    record NodeSpec(String op, List<Integer> inputs, int attr, long attrValue) {
    }

    @Provide
    Arbitrary<List<NodeSpec>> graphs() {
        Arbitrary<NodeSpec> node = Combinators.combine(Arbitraries.of(OPS),
                Arbitraries.integers().between(-2, 9).list().ofMinSize(0).ofMaxSize(4),
                Arbitraries.integers().between(0, 5), Arbitraries.of(0L, 1L, -1L, 2L, 1L << 33, -7L))
                .as(NodeSpec::new);
        return node.list().ofMinSize(1).ofMaxSize(6);
    }

    @Provide
    Arbitrary<List<Long>> initValues() {
        return Arbitraries.integers().between(0, VALUES.length - 1).map(i -> VALUES[i]).list().ofMinSize(1)
                .ofMaxSize(4);
    }

    @Property(tries = 1000)
    void hostileGraphsFailClearly(@ForAll("graphs") List<NodeSpec> specs, @ForAll("initValues") List<Long> init) {
        OnnxBytes b = new OnnxBytes().input("x", "N", 4L);
        b.initializer(OnnxBytes.longTensor("k", new long[] {init.size()}, init.stream().mapToLong(Long::longValue)
                .toArray()));
        b.initializer(OnnxBytes.floatTensor("w", new long[] {2, 2}, new float[] {1, 2, 3, 4}));
        List<String> names = new ArrayList<>(List.of("x", "k", "w"));
        for (int i = 0; i < specs.size(); i++) {
            NodeSpec s = specs.get(i);
            List<String> in = new ArrayList<>();
            for (int ref : s.inputs()) {
                in.add(ref == -2 ? "undefined_" + i : ref == -1 ? "v" + (i + 1) : ref < names.size() ? names.get(ref)
                        : "v" + i);
            }
            byte[] attr = switch (s.attr()) {
                case 0 -> OnnxBytes.intAttr("axis", s.attrValue());
                case 1 -> OnnxBytes.intsAttr("perm", s.attrValue(), 0);
                case 2 -> OnnxBytes.intsAttr("kernel_shape", s.attrValue(), s.attrValue());
                case 3 -> OnnxBytes.graphAttr("body", new OnnxBytes().output("z").node("Relu", List.of("x"),
                        List.of("z")).graph());
                case 4 -> OnnxBytes.intsAttr("pads", s.attrValue(), 0, s.attrValue(), 0);
                default -> OnnxBytes.intAttr("keepdims", s.attrValue());
            };
            b.node(s.op(), in, List.of("v" + i), attr);
            names.add("v" + i);
        }
        b.output("v" + (specs.size() - 1));
        loadAndRun(b.model());
    }

    static void loadAndRun(byte[] bytes) {
        GraphModule m;
        try {
            m = OnnxModels.fromBytes(bytes, BE);
        } catch (IOException | IllegalArgumentException | UnsupportedOperationException e) {
            requireMessage(e);
            return;
        }
        try (m; Tensor x = BE.upload(new float[] {1, -2, 3, -4, 5, 6, 7, 8}, Shape.of(2, 4))) {
            Values.close(m.run(x));
        } catch (IllegalArgumentException | UnsupportedOperationException | IllegalStateException e) {
            requireMessage(e);
        }
    }

    private static void requireMessage(Exception e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an exception without a message", e);
        }
    }
}
