package org.layers4j.cuda;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.spi.PaddingPlan;

/**
 * What a cuDNN tensor descriptor says: 4 dims (N, C, H, W) — up to 8 for permutations — and their strides in elements. Plain
 * tensors are contiguous; the padding program's views are strided windows into a buffer. Value
 * equality makes it the key of the descriptor cache, so every distinct layout gets one native
 * descriptor, created once.
 */
public final class TensorLayout {
    /** CUDNN_DIM_MAX: the most dims a cuDNN tensor descriptor takes. */
    public static final int MAX_RANK = 8;
    private final int[] dims;
    private final int[] strides;

    private TensorLayout(int[] dims, int[] strides) {
        if (dims.length < 4 || dims.length > MAX_RANK || strides.length != dims.length) {
            throw new IllegalArgumentException("a layout has 4 to " + MAX_RANK + " dims and as many strides, got "
                    + Arrays.toString(dims) + " / " + Arrays.toString(strides));
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1 || strides[i] < 1) {
                throw new IllegalArgumentException("dims and strides must be >= 1, got " + Arrays.toString(dims)
                        + " / " + Arrays.toString(strides));
            }
        }
        this.dims = dims;
        this.strides = strides;
    }

    /** A row-major contiguous layout of 4 dims. */
    public static TensorLayout contiguous(int n, int c, int h, int w) {
        return new TensorLayout(new int[] {n, c, h, w}, new int[] {c * h * w, h * w, w, 1});
    }

    /** A layout with explicit dims and strides. */
    public static TensorLayout strided(int[] dims, int[] strides) {
        return new TensorLayout(dims.clone(), strides.clone());
    }

    /** A padding plan's view (its offset is applied to the pointer, not here). */
    public static TensorLayout of(PaddingPlan.View view) {
        int[] d = view.dims().clone();
        int[] s = new int[4];
        for (int i = 0; i < 4; i++) {
            s[i] = Math.toIntExact(view.strides()[i]);
        }
        return new TensorLayout(d, s);
    }

    /**
     * A tensor of any rank seen as 4-D, contiguous: [n, c, h, w] as is, [n, c, l] as [n, c, 1, l]
     * (1-D convolutions run as height 1), [n, f] as [n, f, 1, 1], [f] as [1, f, 1, 1]; a rank above 4
     * folds its leading dims into n. Element-wise operations only need the element count right;
     * bias operations need the channel axis at index 1, which every case keeps.
     */
    public static TensorLayout nchw(Shape shape) {
        int r = shape.rank();
        if (shape.size() == 0) {
            throw new IllegalArgumentException("cuDNN cannot describe the empty tensor " + shape.dimsString());
        }
        switch (r) {
            case 0:
                return contiguous(1, 1, 1, 1);
            case 1:
                return contiguous(1, shape.dim(0), 1, 1);
            case 2:
                return contiguous(shape.dim(0), shape.dim(1), 1, 1);
            case 3:
                return contiguous(shape.dim(0), shape.dim(1), 1, shape.dim(2));
            default:
                int lead = 1;
                for (int i = 0; i < r - 3; i++) {
                    lead = Math.multiplyExact(lead, shape.dim(i));
                }
                return contiguous(lead, shape.dim(r - 3), shape.dim(r - 2), shape.dim(r - 1));
        }
    }

    public int rank() {
        return dims.length;
    }

    public int[] dims() {
        return dims.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    public int dim(int i) {
        return dims[i];
    }

    public long elements() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorLayout && Arrays.equals(dims, ((TensorLayout) o).dims)
                && Arrays.equals(strides, ((TensorLayout) o).strides);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(dims) + Arrays.hashCode(strides);
    }

    @Override
    public String toString() {
        return "dims " + Arrays.toString(dims) + " strides " + Arrays.toString(strides);
    }
}
