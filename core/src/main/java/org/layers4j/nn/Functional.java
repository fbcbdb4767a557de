package org.layers4j.nn;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * Operations on tensors that are not modules, as in {@code torch} / {@code torch.nn.functional}:
 * the residual {@link #add}, {@link #permute} / {@link #transpose} (Embedding's [N, L, E] into
 * Conv1d's [N, E, L]) and {@link #reshape}. Each records itself on the current {@link Tape}.
 */
public final class Functional {
    private Functional() {
    }

    /** a + b, tensors of the same shape on the same backend (a residual connection). */
    public static Tensor add(Tensor a, Tensor b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException("add: tensors must not be null");
        }
        Backend be = a.backend();
        Module.requireOnBackend("add: the second tensor", b, be);
        Module.requireOnBackend("add: the first tensor", a, be);
        requireFloat("add", a);
        requireFloat("add", b);
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException("The size of tensor a " + a.shape().dimsString()
                    + " must match the size of tensor b " + b.shape().dimsString());
        }
        Tensor out = Module.compute(be, a.shape(), o -> be.elementwise().add(a, b, o), a, b);
        return Tape.record("add", out, new Tensor[] {a, b}, new Parameter[0], new Tensor[0],
                (dy, saved) -> new Tensor[] {dy.share(), dy.share()});
    }

    /** x.permute(dims), contiguous: the output's axis i is the input's axis dims[i] (negative counts from the end). */
    public static Tensor permute(Tensor x, int... dims) {
        if (x == null || dims == null) {
            throw new IllegalArgumentException("permute: tensor and dims must not be null");
        }
        Shape s = x.shape();
        int rank = s.rank();
        if (dims.length != rank) {
            throw new IllegalArgumentException("permute(sparse_coo): number of dimensions in the tensor input does not"
                    + " match the length of the desired ordering of dimensions i.e. input.dim() = " + rank
                    + " is not equal to len(dims) = " + dims.length);
        }
        int[] p = new int[rank];
        boolean[] seen = new boolean[rank];
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = dims[i];
            if (d < -rank || d >= rank) {
                throw new IllegalArgumentException("permute: Dimension out of range (expected to be in range of [" + -rank
                        + ", " + (rank - 1) + "], but got " + d + ")");
            }
            d = d < 0 ? d + rank : d;
            if (seen[d]) {
                throw new IllegalArgumentException("permute(): duplicate dims are not allowed, got " + Arrays.toString(dims));
            }
            seen[d] = true;
            p[i] = d;
            out[i] = s.dim(d);
        }
        int[] inverse = new int[rank];
        for (int i = 0; i < rank; i++) {
            inverse[p[i]] = i;
        }
        Backend be = x.backend();
        Module.requireOnBackend("permute: input", x, be);
        requireFloat("permute", x);
        Tensor y = Module.compute(be, Shape.of(out), o -> be.layout().permute(x, p, o), x);
        return Tape.record("permute", y, new Tensor[] {x}, new Parameter[0], new Tensor[0],
                (dy, saved) -> new Tensor[] {Module.compute(be, s, dx -> be.layout().permute(dy, inverse, dx), dy)});
    }

    /** x.transpose(dim0, dim1), contiguous. */
    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        if (x == null) {
            throw new IllegalArgumentException("transpose: tensor must not be null");
        }
        int rank = x.shape().rank();
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = i;
        }
        int a = checkDim("transpose", dim0, rank);
        int b = checkDim("transpose", dim1, rank);
        dims[a] = b;
        dims[b] = a;
        return permute(x, dims);
    }

    /** A new handle on x's memory with another shape of as many elements (its gradient is reshaped back). */
    public static Tensor reshape(Tensor x, Shape shape) {
        if (x == null || shape == null) {
            throw new IllegalArgumentException("reshape: tensor and shape must not be null");
        }
        Module.requireOnBackend("reshape: input", x, x.backend());
        Shape s = x.shape();
        Tensor y = x.reshape(shape);
        return Tape.record("reshape", y, new Tensor[] {x}, new Parameter[0], new Tensor[0],
                (dy, saved) -> new Tensor[] {dy.reshape(s)});
    }

    private static void requireFloat(String op, Tensor t) {
        if (t.dtype() != org.layers4j.DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 tensor, but got " + t.dtype().torchName()
                    + " tensor of size " + t.shape().dimsString());
        }
    }

    /** Range check of a dimension index, PyTorch's message; returns it non-negative. */
    public static int checkDim(String op, int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException(op + ": Dimension out of range (expected to be in range of [" + -r + ", "
                    + (r - 1) + "], but got " + dim + ")");
        }
        return dim < 0 ? dim + r : dim;
    }
}
