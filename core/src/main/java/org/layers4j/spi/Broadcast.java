package org.layers4j.spi;

import java.util.Arrays;

/**
 * How the two operands of a broadcasting {@link PointwiseOps#binary} map onto the output: the output's
 * dims (row-major, contiguous) and, per output dimension, the element stride into a and into b, 0
 * where that operand is broadcast (a size-1 or missing dimension). Operand element at output index
 * (i0, .., ik) is at offset sum(i_d * stride_d). Core builds it from the operands' shapes after checking
 * they broadcast ({@link #of}); {@link #collapsed} is the same mapping with fewer dimensions, which
 * backends use for their loops.
 */
public record Broadcast(int[] dims, int[] aStrides, int[] bStrides) {
    public Broadcast {
        if (dims == null || aStrides == null || bStrides == null || aStrides.length != dims.length
                || bStrides.length != dims.length) {
            throw new IllegalArgumentException("broadcast layout arrays must be non-null and of one length");
        }
        dims = dims.clone();
        aStrides = aStrides.clone();
        bStrides = bStrides.clone();
    }

    /**
     * The layout of {@code a op b} for shapes that broadcast (trailing dimensions aligned, each pair equal
     * or one of them 1); an IllegalArgumentException with PyTorch's message otherwise.
     */
    public static Broadcast of(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] dims = new int[rank];
        int[] as = new int[rank];
        int[] bs = new int[rank];
        int sa = 1;
        int sb = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int ia = i - (rank - a.length);
            int ib = i - (rank - b.length);
            int da = ia >= 0 ? a[ia] : 1;
            int db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("The size of tensor a (" + da + ") must match the size of tensor b ("
                        + db + ") at non-singleton dimension " + i);
            }
            dims[i] = da == 1 ? db : da;
            as[i] = da == 1 ? 0 : sa;
            bs[i] = db == 1 ? 0 : sb;
            sa *= da;
            sb *= db;
        }
        return new Broadcast(dims, as, bs);
    }

    /** The number of output elements. */
    public int size() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return (int) n;
    }

    /**
     * The same mapping with size-1 output dimensions dropped and neighbours merged where both operands
     * step through them as through one dimension (at least one dimension remains). A same-shape op
     * becomes one dimension with strides 1 / 1, a per-channel [N, C, H, W] * [N, C, 1, 1] two
     * ([N*C, H*W], b strides 1 / 0).
     */
    public Broadcast collapsed() {
        int[] d = new int[dims.length + 1];
        int[] sa = new int[d.length];
        int[] sb = new int[d.length];
        int n = 0;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) {
                continue;
            }
            if (n > 0 && (long) aStrides[i] * dims[i] == sa[n - 1] && (long) bStrides[i] * dims[i] == sb[n - 1]) {
                d[n - 1] *= dims[i];
                sa[n - 1] = aStrides[i];
                sb[n - 1] = bStrides[i];
                continue;
            }
            d[n] = dims[i];
            sa[n] = aStrides[i];
            sb[n] = bStrides[i];
            n++;
        }
        if (n == 0) {
            return new Broadcast(new int[] {1}, new int[] {0}, new int[] {0});
        }
        return new Broadcast(Arrays.copyOf(d, n), Arrays.copyOf(sa, n), Arrays.copyOf(sb, n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Broadcast other && Arrays.equals(dims, other.dims) && Arrays.equals(aStrides, other.aStrides)
                && Arrays.equals(bStrides, other.bStrides);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(dims) + Arrays.hashCode(aStrides)) + Arrays.hashCode(bStrides);
    }

    @Override
    public String toString() {
        return "Broadcast[dims=" + Arrays.toString(dims) + ", aStrides=" + Arrays.toString(aStrides) + ", bStrides="
                + Arrays.toString(bStrides) + "]";
    }
}
