package org.layers4j.graph.ops;

import java.util.ArrayList;
import java.util.List;
import org.layers4j.Tensor;
import org.layers4j.graph.Node;
import org.layers4j.nn.Functional;
import org.layers4j.nn.functional.Shapes;

/**
 * Shapes and layout: {@code flatten}, {@code view} / {@code reshape}, {@code permute}, {@code transpose},
 * {@code contiguous}, {@code unsqueeze} / {@code squeeze}, {@code expand}, {@code cat}, {@code chunk},
 * {@code split}, and indexing a tensor ({@code getitem} with ints, slices and None).
 */
final class ShapeOps {
    private ShapeOps() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("flatten", Signature.of("input", "start_dim=0", "end_dim=-1"),
                (a, c) -> Shapes.flatten(a.tensor("input"), a.integer("start_dim"), a.integer("end_dim"))));
        r.register(FunctionalOp.of("view", Signature.of("input", "*shape"),
                (a, c) -> Shapes.view(a.tensor("input"), a.ints("shape"))));
        r.register(FunctionalOp.of("reshape", Signature.of("input", "*shape"),
                (a, c) -> Shapes.reshape(a.tensor("input"), a.ints("shape"))));
        r.register(FunctionalOp.of("permute", Signature.of("input", "*dims"),
                (a, c) -> Functional.permute(a.tensor("input"), a.ints("dims"))));
        r.register(FunctionalOp.of("transpose", Signature.of("input", "dim0", "dim1"),
                (a, c) -> Functional.transpose(a.tensor("input"), a.integer("dim0"), a.integer("dim1"))));
        r.register(FunctionalOp.of("contiguous", Signature.of("input", "memory_format=None"),
                (a, c) -> Shapes.contiguous(a.tensor("input"))));
        r.register(FunctionalOp.of("unsqueeze", Signature.of("input", "dim"),
                (a, c) -> Shapes.unsqueeze(a.tensor("input"), a.integer("dim"))));
        r.register(FunctionalOp.of("squeeze", Signature.of("input", "dim=None"), (a, c) -> a.isNull("dim")
                ? Shapes.squeeze(a.tensor("input")) : Shapes.squeeze(a.tensor("input"), a.integer("dim"))));
        r.register(FunctionalOp.of("expand", Signature.of("input", "*sizes"),
                (a, c) -> Shapes.expand(a.tensor("input"), a.ints("sizes"))));
        r.register(FunctionalOp.of("cat", Signature.of("tensors", "dim=0"),
                (a, c) -> Shapes.cat(a.tensors("tensors"), a.integer("dim"))));
        r.register(FunctionalOp.of("chunk", Signature.of("input", "chunks", "dim=0"),
                (a, c) -> new ArrayList<Object>(Shapes.chunk(a.tensor("input"), a.integer("chunks"), a.integer("dim")))));
        r.register(FunctionalOp.of("split", Signature.of("tensor", "split_size_or_sections", "dim=0"), (a, c) -> {
            Tensor x = a.tensor("tensor");
            List<Tensor> parts = a.get("split_size_or_sections") instanceof Long
                    ? Shapes.split(x, a.integer("split_size_or_sections"), a.integer("dim"))
                    : Shapes.split(x, a.ints("split_size_or_sections"), a.integer("dim"));
            return new ArrayList<Object>(parts);
        }));
    }

    /** x[index]: an int selects along dim 0, a slice slices it, a tuple indexes dimension after dimension. */
    static Object index(Tensor x, Object index) {
        List<?> items = index instanceof List<?> l ? l : List.of(index);
        List<Tensor> temps = new ArrayList<>();
        Tensor h = x;
        int dim = 0;
        try {
            for (Object item : items) {
                Tensor next;
                if (item instanceof Long i) {
                    next = Shapes.select(h, dim, Math.toIntExact(i));
                } else if (item instanceof Node.Slice s) {
                    next = Shapes.slice(h, dim, toInt(s.start()), toInt(s.stop()), s.step() == null ? 1
                            : Math.toIntExact(s.step()));
                    dim++;
                } else if (item == null) {
                    next = Shapes.unsqueeze(h, dim);
                    dim++;
                } else {
                    throw new IllegalArgumentException("getitem(): a tensor index must be an int, a slice or None, got "
                            + Values.describe(item));
                }
                if (h != x) {
                    temps.add(h);
                }
                h = next;
            }
            return h == x ? Values.alias(x) : h;
        } finally {
            temps.forEach(Tensor::close);
        }
    }

    private static Integer toInt(Long v) {
        if (v == null) {
            return null;
        }
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }
}
