package org.layers4j.nn.functional;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BinaryOp;

/**
 * PyTorch's shape and copy ops: {@link #cat}, {@link #chunk}, {@link #split}, {@link #narrow}, {@link #slice},
 * {@link #select}, {@link #flatten}, {@link #view} / {@link #reshape}, {@link #unsqueeze}, {@link #squeeze},
 * {@link #expand} and {@link #contiguous}, with PyTorch's argument checks and messages. Every op records
 * itself on the current {@link Tape}. The reshaping ones (view, reshape, flatten, unsqueeze, squeeze,
 * contiguous, a whole-tensor narrow) return a new handle sharing the input's memory; the others copy
 * (this library has no strided views), so writing to their output never changes the input.
 */
public final class Shapes {
    private static final Parameter[] NO_PARAMS = new Parameter[0];
    private static final Tensor[] NO_SAVED = new Tensor[0];

    private Shapes() {
    }

    // ---- checks ---------------------------------------------------------------------------------

    static Tensor requireTensor(String op, Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": tensor must not be null");
        }
        Module.requireOnBackend(op + ": input", x, x.backend());
        return x;
    }

    static void requireFloat(String op, Tensor t) {
        if (t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 tensor, but got " + t.dtype().torchName()
                    + " tensor of size " + t.shape().dimsString());
        }
    }

    /** PyTorch's dim wrap: {@code dim} in [-rank, rank - 1] (a 0-d tensor counts as rank 1), made non-negative. */
    static int wrapDim(int dim, int rank) {
        int r = Math.max(rank, 1);
        if (dim < -r || dim >= r) {
            throw new IllegalArgumentException("Dimension out of range (expected to be in range of [" + -r + ", "
                    + (r - 1) + "], but got " + dim + ")");
        }
        return dim < 0 ? dim + r : dim;
    }

    private static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /** A new handle on x's memory with another shape, recorded on the tape (its gradient is reshaped back). */
    static Tensor alias(String op, Tensor x, Shape shape) {
        Shape s = x.shape();
        Tensor y = x.reshape(shape);
        return Tape.record(op, y, new Tensor[] {x}, NO_PARAMS, NO_SAVED,
                (dy, saved) -> new Tensor[] {dy.reshape(s)});
    }

    // ---- cat --------------------------------------------------------------------------------------

    /** torch.cat(tensors, dim): the tensors joined along dim; all other sizes must match. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException("torch.cat(): expected a non-empty list of Tensors");
        }
        for (int k = 0; k < tensors.size(); k++) {
            if (tensors.get(k) == null) {
                throw new IllegalArgumentException("torch.cat(): tensor number " + k + " in the list is null");
            }
        }
        Tensor first = tensors.get(0);
        Backend be = first.backend();
        int[] base = first.shape().dims();
        int rank = base.length;
        if (rank == 0) {
            throw new IllegalArgumentException("zero-dimensional tensor (at position 0) cannot be concatenated");
        }
        int d = wrapDim(dim, rank);
        int total = 0;
        for (int k = 0; k < tensors.size(); k++) {
            Tensor t = tensors.get(k);
            Module.requireOnBackend("torch.cat(): tensor number " + k, t, be);
            requireFloat("torch.cat()", t);
            int[] s = t.shape().dims();
            if (s.length != rank) {
                throw new IllegalArgumentException("Tensors must have same number of dimensions: got " + rank + " and "
                        + s.length);
            }
            for (int i = 0; i < rank; i++) {
                if (i != d && s[i] != base[i]) {
                    throw new IllegalArgumentException("Sizes of tensors must match except in dimension " + d
                            + ". Expected size " + base[i] + " but got size " + s[i] + " for tensor number " + k
                            + " in the list.");
                }
            }
            total += s[d];
        }
        int outer = product(base, 0, d);
        int inner = product(base, d + 1, rank);
        int[] out = base.clone();
        out[d] = total;
        int[] sizes = new int[tensors.size()];
        int[] offsets = new int[tensors.size()];
        int off = 0;
        for (int k = 0; k < sizes.length; k++) {
            sizes[k] = tensors.get(k).shape().dim(d);
            offsets[k] = off;
            off += sizes[k];
        }
        int tot = total;
        Tensor[] inputs = tensors.toArray(new Tensor[0]);
        Tensor y = Module.compute(be, Shape.of(out), o -> {
            for (int k = 0; k < inputs.length; k++) {
                if (sizes[k] > 0 && inner > 0) {
                    be.layout().copySlab(inputs[k], sizes[k], 0, 1, o, tot, offsets[k], 1, outer, sizes[k], inner);
                }
            }
        }, inputs);
        return Tape.record("cat", y, inputs, NO_PARAMS, NO_SAVED, (dy, saved) -> {
            Tensor[] r = new Tensor[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                int kk = k;
                r[k] = Module.compute(be, inputs[k].shape(), dx -> be.layout().copySlab(dy, tot, offsets[kk], 1, dx,
                        sizes[kk], 0, 1, outer, sizes[kk], inner), dy);
            }
            return r;
        });
    }

    // ---- narrow / slice / select -------------------------------------------------------------------

    /**
     * The elements start, start + step, ... (count of them) of dim d, as a new tensor of shape {@code outShape}
     * (x's shape with dim d of size count, or without dim d for select). Backward scatters into zeros.
     */
    private static Tensor gather(String op, Tensor x, int d, int start, int step, int count, Shape outShape) {
        Shape s = x.shape();
        int[] dims = s.dims();
        if (step == 1 && start == 0 && count == dims[d]) {
            return alias(op, x, outShape);
        }
        Backend be = x.backend();
        int outer = product(dims, 0, d);
        int inner = product(dims, d + 1, dims.length);
        int mid = dims[d];
        Tensor y = Module.compute(be, outShape,
                o -> be.layout().copySlab(x, mid, start, step, o, count, 0, 1, outer, count, inner), x);
        return Tape.record(op, y, new Tensor[] {x}, NO_PARAMS, NO_SAVED, (dy, saved) -> new Tensor[] {
            Module.compute(be, s, dx -> be.layout().copySlab(dy, count, 0, 1, dx, mid, start, step, outer, count, inner),
                    dy)});
    }

    /** x.narrow(dim, start, length): elements start .. start + length - 1 of dim (a negative start counts from the end). */
    public static Tensor narrow(Tensor x, int dim, int start, int length) {
        requireTensor("narrow", x);
        requireFloat("narrow", x);
        int[] dims = x.shape().dims();
        if (dims.length == 0) {
            throw new IllegalArgumentException("narrow() cannot be applied to a 0-dim tensor.");
        }
        int d = wrapDim(dim, dims.length);
        int size = dims[d];
        if (start < -size || start > size) {
            throw new IllegalArgumentException("start out of range (expected to be in range of [" + -size + ", " + size
                    + "], but got " + start + ")");
        }
        int st = start < 0 ? start + size : start;
        if (length < 0 || st > size - length) {
            throw new IllegalArgumentException("start (" + st + ") + length (" + length + ") exceeds dimension size ("
                    + size + ").");
        }
        int[] out = dims.clone();
        out[d] = length;
        return gather("narrow", x, d, st, 1, length, Shape.of(out));
    }

    /**
     * x[..., start:stop:step, ...] along dim, with Python's slice semantics: null start / stop mean the
     * ends, negative bounds count from the end, out-of-range bounds are clamped; step must be >= 1.
     */
    public static Tensor slice(Tensor x, int dim, Integer start, Integer stop, int step) {
        requireTensor("slice", x);
        requireFloat("slice", x);
        if (step <= 0) {
            throw new IllegalArgumentException(step == 0 ? "slice step cannot be zero" : "step must be greater than zero");
        }
        int[] dims = x.shape().dims();
        if (dims.length == 0) {
            throw new IllegalArgumentException("slice() cannot be applied to a 0-dim tensor.");
        }
        int d = wrapDim(dim, dims.length);
        int size = dims[d];
        int a = clampBound(start, 0, size);
        int b = clampBound(stop, size, size);
        int count = b > a ? (b - a + step - 1) / step : 0;
        int[] out = dims.clone();
        out[d] = count;
        return gather("slice", x, d, count == 0 ? 0 : a, step, count, Shape.of(out));
    }

    private static int clampBound(Integer v, int dflt, int size) {
        if (v == null) {
            return dflt;
        }
        long b = v < 0 ? (long) v + size : v;
        return (int) Math.max(0, Math.min(size, b));
    }

    /** x.select(dim, index) (x[:, index] for dim 1): the slice at index, with dim removed. */
    public static Tensor select(Tensor x, int dim, int index) {
        requireTensor("select", x);
        requireFloat("select", x);
        int[] dims = x.shape().dims();
        if (dims.length == 0) {
            throw new IllegalArgumentException("select() cannot be applied to a 0-dim tensor.");
        }
        int d = wrapDim(dim, dims.length);
        int size = dims[d];
        if (index < -size || index >= size) {
            throw new IllegalArgumentException("select(): index " + index + " out of range for tensor of size "
                    + x.shape().dimsString() + " at dimension " + dim);
        }
        int i = index < 0 ? index + size : index;
        int[] out = new int[dims.length - 1];
        for (int k = 0, j = 0; k < dims.length; k++) {
            if (k != d) {
                out[j++] = dims[k];
            }
        }
        if (size == 1) {
            return alias("select", x, Shape.of(out));
        }
        return gather("select", x, d, i, 1, 1, Shape.of(out));
    }

    // ---- chunk / split -----------------------------------------------------------------------------

    /**
     * x.chunk(chunks, dim): pieces of ceil(size / chunks) along dim, the last smaller; fewer than
     * {@code chunks} pieces when the size does not allow more (PyTorch's rule).
     */
    public static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        requireTensor("chunk", x);
        if (x.shape().rank() == 0) {
            throw new IllegalArgumentException("chunk expects at least a 1-dimensional tensor");
        }
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk expects `chunks` to be greater than 0, got: " + chunks);
        }
        int d = wrapDim(dim, x.shape().rank());
        int size = x.shape().dim(d);
        int splitSize = (int) (((long) size + chunks - 1) / chunks);
        if (splitSize == 0 && size == 0) {
            int[] sections = new int[chunks];
            return split(x, sections, dim);
        }
        return split(x, splitSize, dim);
    }

    /** x.split(splitSize, dim): pieces of splitSize along dim, the last one smaller when the size is not a multiple. */
    public static List<Tensor> split(Tensor x, int splitSize, int dim) {
        requireTensor("split", x);
        if (x.shape().rank() == 0) {
            throw new IllegalArgumentException("split expects at least a 1-dimensional tensor");
        }
        if (splitSize < 0) {
            throw new IllegalArgumentException("split expects split_size be non-negative, but got split_size="
                    + splitSize);
        }
        int d = wrapDim(dim, x.shape().rank());
        int size = x.shape().dim(d);
        if (splitSize == 0 && size != 0) {
            throw new IllegalArgumentException("split_size can only be 0 if dimension size is 0, but got dimension size of "
                    + size);
        }
        int n = splitSize == 0 ? 1 : Math.max((size + splitSize - 1) / splitSize, 1);
        int[] sections = new int[n];
        for (int k = 0; k < n; k++) {
            sections[k] = k < n - 1 ? splitSize : size - splitSize * (n - 1);
        }
        return pieces(x, d, sections);
    }

    /** x.split([s0, s1, ...], dim) (torch.split_with_sizes): pieces of the given sizes, which must sum to the size. */
    public static List<Tensor> split(Tensor x, int[] sections, int dim) {
        requireTensor("split_with_sizes", x);
        if (sections == null) {
            throw new IllegalArgumentException("split_with_sizes: split_sizes must not be null");
        }
        if (x.shape().rank() == 0) {
            throw new IllegalArgumentException("split expects at least a 1-dimensional tensor");
        }
        int d = wrapDim(dim, x.shape().rank());
        int size = x.shape().dim(d);
        long sum = 0;
        for (int s : sections) {
            if (s < 0) {
                throw new IllegalArgumentException("split_with_sizes expects split_sizes have only non-negative entries,"
                        + " but got split_sizes=" + Arrays.toString(sections));
            }
            sum += s;
        }
        if (sum != size) {
            throw new IllegalArgumentException("split_with_sizes expects split_sizes to sum exactly to " + size
                    + " (input tensor's size at dimension " + d + "), but got split_sizes=" + Arrays.toString(sections));
        }
        return pieces(x, d, sections);
    }

    private static List<Tensor> pieces(Tensor x, int d, int[] sections) {
        requireFloat("split", x);
        List<Tensor> out = new ArrayList<>(sections.length);
        int[] dims = x.shape().dims();
        int start = 0;
        try {
            for (int s : sections) {
                int[] o = dims.clone();
                o[d] = s;
                out.add(gather("split", x, d, start, 1, s, Shape.of(o)));
                start += s;
            }
        } catch (RuntimeException e) {
            out.forEach(Tensor::close);
            throw e;
        }
        return out;
    }

    // ---- reshapes ----------------------------------------------------------------------------------

    /** x.flatten(startDim, endDim): dims startDim..endDim merged into one (a 0-d tensor becomes [1]). */
    public static Tensor flatten(Tensor x, int startDim, int endDim) {
        requireTensor("flatten", x);
        int[] s = x.shape().dims();
        int rank = s.length;
        int a = wrapDim(startDim, rank);
        int b = wrapDim(endDim, rank);
        if (a > b) {
            throw new IllegalArgumentException("flatten() has invalid args: start_dim cannot come after end_dim");
        }
        if (rank == 0) {
            return alias("flatten", x, Shape.of(1));
        }
        int[] out = new int[rank - (b - a)];
        System.arraycopy(s, 0, out, 0, a);
        out[a] = product(s, a, b + 1);
        System.arraycopy(s, b + 1, out, a + 1, rank - b - 1);
        return alias("flatten", x, Shape.of(out));
    }

    /** x.view(shape): the same elements with another shape; one dim may be -1 (inferred). Shares x's memory. */
    public static Tensor view(Tensor x, int... shape) {
        requireTensor("view", x);
        return alias("view", x, inferShape(shape, x.shape().size()));
    }

    /** x.reshape(shape): as {@link #view} (every tensor here is contiguous, so reshape never copies). */
    public static Tensor reshape(Tensor x, int... shape) {
        requireTensor("reshape", x);
        return alias("reshape", x, inferShape(shape, x.shape().size()));
    }

    /** PyTorch's infer_size: the shape with its one -1 replaced, checked against {@code numel}. */
    static Shape inferShape(int[] shape, int numel) {
        if (shape == null) {
            throw new IllegalArgumentException("shape must not be null");
        }
        int infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred");
                }
                infer = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + shape[i]);
            }
        }
        int[] rest = Arrays.stream(shape).filter(v -> v != -1).toArray();
        long known = Shape.elementCount(rest);
        String text = Arrays.toString(shape);
        if (infer >= 0) {
            if (known == 0) {
                if (numel == 0) {
                    throw new IllegalArgumentException("cannot reshape tensor of 0 elements into shape " + text
                            + " because the unspecified dimension size -1 can be any value and is ambiguous");
                }
                throw new IllegalArgumentException("shape '" + text + "' is invalid for input of size " + numel);
            }
            if (numel % known != 0) {
                throw new IllegalArgumentException("shape '" + text + "' is invalid for input of size " + numel);
            }
            int[] out = shape.clone();
            out[infer] = (int) (numel / known);
            return Shape.of(out);
        }
        if (Shape.elementCount(shape) != numel) {
            throw new IllegalArgumentException("shape '" + text + "' is invalid for input of size " + numel);
        }
        return Shape.of(shape);
    }

    /** x.unsqueeze(dim): a size-1 dim inserted at dim (in [-rank - 1, rank]). */
    public static Tensor unsqueeze(Tensor x, int dim) {
        requireTensor("unsqueeze", x);
        int[] s = x.shape().dims();
        int d = wrapDim(dim, s.length + 1);
        int[] out = new int[s.length + 1];
        System.arraycopy(s, 0, out, 0, d);
        out[d] = 1;
        System.arraycopy(s, d, out, d + 1, s.length - d);
        return alias("unsqueeze", x, Shape.of(out));
    }

    /** x.squeeze(dim): dim removed when its size is 1, else x's shape kept. */
    public static Tensor squeeze(Tensor x, int dim) {
        requireTensor("squeeze", x);
        int[] s = x.shape().dims();
        int d = wrapDim(dim, s.length);
        if (s.length == 0 || s[d] != 1) {
            return alias("squeeze", x, x.shape());
        }
        int[] out = new int[s.length - 1];
        System.arraycopy(s, 0, out, 0, d);
        System.arraycopy(s, d + 1, out, d, s.length - d - 1);
        return alias("squeeze", x, Shape.of(out));
    }

    /** x.squeeze(): every size-1 dim removed. */
    public static Tensor squeeze(Tensor x) {
        requireTensor("squeeze", x);
        int[] out = Arrays.stream(x.shape().dims()).filter(v -> v != 1).toArray();
        return alias("squeeze", x, Shape.of(out));
    }

    /** x.contiguous(): x itself in PyTorch (every tensor here is contiguous), a new recorded handle here. */
    public static Tensor contiguous(Tensor x) {
        requireTensor("contiguous", x);
        return alias("contiguous", x, x.shape());
    }

    // ---- expand ------------------------------------------------------------------------------------

    /**
     * x.expand(sizes) (as a new contiguous tensor): size-1 dims repeated to the given sizes, new leading dims
     * added; -1 keeps a dim's size. Backward sums the gradient over the repeated elements.
     */
    public static Tensor expand(Tensor x, int... sizes) {
        requireTensor("expand", x);
        requireFloat("expand", x);
        if (sizes == null) {
            throw new IllegalArgumentException("expand: sizes must not be null");
        }
        int[] s = x.shape().dims();
        int rank = sizes.length;
        if (rank < s.length) {
            throw new IllegalArgumentException("expand(torch.FloatTensor{" + x.shape().dimsString() + "}, size="
                    + Arrays.toString(sizes) + "): the number of sizes provided (" + rank + ") must be greater or equal"
                    + " to the number of dimensions in the tensor (" + s.length + ")");
        }
        int lead = rank - s.length;
        int[] out = new int[rank];
        int[] xs = new int[rank];
        for (int i = 0; i < rank; i++) {
            int target = sizes[i];
            if (i < lead) {
                if (target < 0) {
                    throw new IllegalArgumentException("The expanded size of the tensor (" + target + ") isn't allowed"
                            + " in a leading, non-existing dimension " + i);
                }
                out[i] = target;
                xs[i] = 1;
                continue;
            }
            int have = s[i - lead];
            xs[i] = have;
            if (target == -1) {
                target = have;
            }
            if (have != target) {
                if (have != 1) {
                    throw new IllegalArgumentException("The expanded size of the tensor (" + target + ") must match the"
                            + " existing size (" + have + ") at non-singleton dimension " + i + ".  Target sizes: "
                            + Arrays.toString(sizes) + ".  Tensor sizes: " + x.shape().dimsString());
                }
                if (target < 0) {
                    throw new IllegalArgumentException("Trying to create tensor with negative dimension " + target
                            + ": " + Arrays.toString(sizes));
                }
            }
            out[i] = target;
        }
        Shape in = x.shape();
        Shape outShape = Shape.of(out);
        if (outShape.equals(in)) {
            return alias("expand", x, in);
        }
        Backend be = x.backend();
        Shape xShape = Shape.of(xs);
        // a broadcasting copy (x * 1) forward; its gradient summed back to x's shape, as broadcasting arithmetic's
        Tensor y;
        try (Tensor xv = x.reshape(xShape)) {
            y = Ops.expand(be, xv, outShape, BinaryOp.MUL, 1);
        }
        return Tape.record("expand", y, new Tensor[] {x}, NO_PARAMS, NO_SAVED,
                (dy, saved) -> new Tensor[] {Ops.reduceTo(be, dy, in)});
    }
}
