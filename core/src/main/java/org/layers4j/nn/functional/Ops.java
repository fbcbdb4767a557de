package org.layers4j.nn.functional;

import java.lang.ref.Reference;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BinaryOp;
import org.layers4j.spi.Broadcast;

/** The validation and the backend calls the functional operations share. */
final class Ops {
    private Ops() {
    }

    /** Checks x is non-null, open and float32; returns its backend. */
    static Backend requireFloat(String op, Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": tensor must not be null");
        }
        Backend be = x.backend();
        Module.requireOnBackend(op + ": input", x, be);
        checkDtype(op, x);
        return be;
    }

    /** Checks a and b are non-null, open, float32 and on one backend; returns it. */
    static Backend requireFloats(String op, Tensor a, Tensor b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException(op + ": tensors must not be null");
        }
        Backend be = a.backend();
        Module.requireOnBackend(op + ": the first tensor", a, be);
        Module.requireOnBackend(op + ": the second tensor", b, be);
        checkDtype(op, a);
        checkDtype(op, b);
        return be;
    }

    private static void checkDtype(String op, Tensor t) {
        if (t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 tensor, but got " + t.dtype().torchName()
                    + " tensor of size " + t.shape().dimsString());
        }
    }

    /** A new tensor of the layout's output shape: a op b, broadcasting. */
    static Tensor binary(Backend be, BinaryOp op, double alpha, Broadcast layout, Tensor a, Tensor b) {
        return Module.compute(be, Shape.of(layout.dims()), o -> be.pointwise().binary(op, alpha, layout, a, b, o), a, b);
    }

    /** A new tensor: a op b for broadcastable shapes. */
    static Tensor binary(Backend be, BinaryOp op, Tensor a, Tensor b) {
        return binary(be, op, 1, Broadcast.of(a.shape().dims(), b.shape().dims()), a, b);
    }

    /** A new tensor: x op s, or s op x with {@code scalarFirst}. */
    static Tensor scalar(Backend be, BinaryOp op, Tensor x, double s, boolean scalarFirst) {
        return Module.compute(be, x.shape(), y -> be.pointwise().scalar(op, x, s, scalarFirst, y), x);
    }

    /** -x, then closes x (for gradients built in steps). */
    static Tensor negateAndClose(Backend be, Tensor x) {
        try (x) {
            return scalar(be, BinaryOp.MUL, x, -1, false);
        }
    }

    /** x * s, then closes x; x itself when s is 1. */
    static Tensor scaleAndClose(Backend be, Tensor x, double s) {
        if ((float) s == 1f) {
            return x;
        }
        try (x) {
            return scalar(be, BinaryOp.MUL, x, s, false);
        }
    }

    /**
     * The sum of x over the dimensions flagged in {@code reduce}, as a tensor of x's rank with those
     * dimensions 1 (keepdim); always a new tensor. Consecutive reduced dimensions are summed in one pass
     * ({@link org.layers4j.spi.PointwiseOps#sumAxis}); an empty x gives zeros without a backend call.
     */
    static Tensor sumKeep(Backend be, Tensor x, boolean[] reduce) {
        int[] dims = x.shape().dims();
        int rank = dims.length;
        int[] outDims = dims.clone();
        for (int d = 0; d < rank; d++) {
            if (reduce[d]) {
                outDims[d] = 1;
            }
        }
        Shape outShape = Shape.of(outDims);
        if (x.shape().size() == 0) {
            return be.allocate(outShape);
        }
        Tensor cur = x.share();
        int[] cd = dims.clone();
        try {
            int d = 0;
            boolean any = false;
            while (d < rank) {
                if (!reduce[d] || cd[d] == 1) {
                    d++;
                    continue;
                }
                int e = d;
                while (e < rank && (reduce[e] || cd[e] == 1)) {
                    e++;
                }
                int outer = prod(cd, 0, d);
                int size = prod(cd, d, e);
                int inner = prod(cd, e, rank);
                for (int k = d; k < e; k++) {
                    cd[k] = 1;
                }
                Tensor src = cur;
                Tensor next = Module.compute(be, Shape.of(cd), y -> be.pointwise().sumAxis(outer, size, inner, src, y), src);
                cur.close();
                cur = next;
                any = true;
                d = e;
            }
            if (!any) {
                Tensor src = cur;
                Tensor copy = Module.compute(be, outShape, y -> be.elementwise().copy(src, y), src);
                cur.close();
                cur = copy;
            }
            Tensor shaped = cur.reshape(outShape);
            cur.close();
            return shaped;
        } catch (RuntimeException e) {
            cur.close();
            throw e;
        }
    }

    /** g (an output gradient) summed back to an operand's {@code target} shape, broadcasting's backward; a new tensor. */
    static Tensor reduceTo(Backend be, Tensor g, Shape target) {
        int[] gd = g.shape().dims();
        int[] td = target.dims();
        int lead = gd.length - td.length;
        boolean[] reduce = new boolean[gd.length];
        boolean anyReduce = false;
        for (int i = 0; i < gd.length; i++) {
            int t = i < lead ? 1 : td[i - lead];
            reduce[i] = t == 1 && gd[i] != 1;
            anyReduce |= reduce[i];
        }
        if (!anyReduce) {
            return g.reshape(target);
        }
        try (Tensor keep = sumKeep(be, g, reduce)) {
            return keep.reshape(target);
        }
    }

    /**
     * A new tensor of {@code target}'s shape: g (of the same rank, with size-1 dimensions where target's are
     * reduced) broadcast to target, op the one value {@code value} (MUL 1 for a plain expand, DIV n for mean).
     */
    static Tensor expand(Backend be, Tensor g, Shape target, BinaryOp op, double value) {
        Broadcast full = Broadcast.of(g.shape().dims(), target.dims());
        Broadcast layout = new Broadcast(full.dims(), full.aStrides(), new int[full.dims().length]);
        Tensor one = be.upload(new float[] {(float) value}, Shape.of());
        try {
            return binary(be, op, 1, layout, g, one);
        } finally {
            Reference.reachabilityFence(one);
            one.close();
        }
    }

    static int prod(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }
}
