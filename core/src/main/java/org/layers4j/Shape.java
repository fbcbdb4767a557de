package org.layers4j;

import java.util.Arrays;

/**
 * An immutable tensor shape: the size of each dimension, outermost first (row-major, NCHW / NCL).
 * Printed as PyTorch prints a shape, {@code torch.Size([2, 5, 2])}.
 */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /** A shape with the given dimensions; each must be ≥ 0. */
    public static Shape of(int... dims) {
        if (dims == null) {
            throw new IllegalArgumentException("shape dims must not be null");
        }
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException(
                        "shape dimension " + i + " is " + dims[i] + " in " + Arrays.toString(dims) + "; sizes must be >= 0");
            }
        }
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i];
    }

    public int[] dims() {
        return dims.clone();
    }

    /**
     * Total number of elements; an IllegalArgumentException naming the count when it does not fit an
     * int. A zero dimension anywhere makes the size 0, whatever the other dimensions are.
     */
    public int size() {
        long n = elementCount(dims);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + this + " has " + (n == Long.MAX_VALUE ? "more than 2^63-1"
                    : Long.toString(n)) + " elements, more than 2^31-1");
        }
        return (int) n;
    }

    /** The product of {@code dims} in 64 bits (0 when one is 0), saturating at Long.MAX_VALUE. */
    public static long elementCount(int... dims) {
        long n = 1;
        for (int d : dims) {
            if (d == 0) {
                return 0;
            }
        }
        for (int d : dims) {
            if (n > Long.MAX_VALUE / Math.max(1, d)) {
                return Long.MAX_VALUE;
            }
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** The dims as PyTorch lists them: {@code [2, 3, 5, 5]}. */
    public String dimsString() {
        return Arrays.toString(dims);
    }

    @Override
    public String toString() {
        return "torch.Size(" + dimsString() + ")";
    }
}
