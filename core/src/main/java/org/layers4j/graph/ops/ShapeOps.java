package org.layers4j.graph.ops;

import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Functional;

/**
 * Shapes and layout: {@code flatten}, {@code view} / {@code reshape}, {@code permute}, {@code transpose},
 * {@code contiguous}, {@code unsqueeze} / {@code squeeze}, {@code expand}, {@code cat}, {@code chunk},
 * {@code split}, and indexing a tensor ({@code getitem}).
 */
final class ShapeOps {
    private ShapeOps() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("flatten", Signature.of("input", "start_dim=0", "end_dim=-1"), (a, c) -> {
            Tensor x = a.tensor("input");
            int rank = x.shape().rank();
            int s = Functional.checkDim("flatten", a.integer("start_dim"), rank);
            int e = Functional.checkDim("flatten", a.integer("end_dim"), rank);
            if (s > e) {
                throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
            }
            int[] d = x.shape().dims();
            int[] out = new int[rank == 0 ? 1 : rank - (e - s)];
            int k = 0;
            for (int i = 0; i < rank; i++) {
                if (i <= s || i > e) {
                    out[k++] = i == s ? (int) Shape.elementCount(java.util.Arrays.copyOfRange(d, s, e + 1)) : d[i];
                }
            }
            if (rank == 0) {
                out[0] = 1;
            }
            return Functional.reshape(x, Shape.of(out));
        }));
        FunctionalOp.Computation view = (a, c) -> Functional.reshape(a.tensor("input"),
                inferShape(a.ints("shape"), a.tensor("input").shape()));
        r.register(FunctionalOp.of("view", Signature.of("input", "*shape"), view));
        r.register(FunctionalOp.of("reshape", Signature.of("input", "*shape"), view));
        r.register(FunctionalOp.of("permute", Signature.of("input", "*dims"),
                (a, c) -> Functional.permute(a.tensor("input"), a.ints("dims"))));
        r.register(FunctionalOp.of("transpose", Signature.of("input", "dim0", "dim1"),
                (a, c) -> Functional.transpose(a.tensor("input"), a.integer("dim0"), a.integer("dim1"))));
        r.register(FunctionalOp.of("contiguous", Signature.of("input"), (a, c) -> Values.alias(a.tensor("input"))));
    }

    /** A view's shape with its one -1 inferred; PyTorch's message when the sizes do not fit. */
    static Shape inferShape(int[] dims, Shape in) {
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred");
                }
                infer = i;
            } else if (dims[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + dims[i]);
            } else {
                known *= dims[i];
            }
        }
        int[] out = dims.clone();
        if (infer >= 0) {
            if (known == 0 || in.size() % known != 0) {
                throw new IllegalArgumentException("shape '" + java.util.Arrays.toString(dims) + "' is invalid for input of"
                        + " size " + in.size());
            }
            out[infer] = (int) (in.size() / known);
        }
        if (Shape.elementCount(out) != in.size()) {
            throw new IllegalArgumentException("shape '" + java.util.Arrays.toString(dims) + "' is invalid for input of size "
                    + in.size());
        }
        return Shape.of(out);
    }

    /** x[index] for a tensor. */
    static Object index(Tensor x, Object index) {
        throw new IllegalArgumentException("getitem(): indexing a tensor is not supported yet (index "
                + Values.describe(index) + ")");
    }
}
