package org.layers4j.nn.functional;

import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BinaryOp;
import org.layers4j.spi.Broadcast;

/**
 * PyTorch's arithmetic on float32 tensors: {@code torch.add / sub / mul / div} with broadcasting (trailing
 * dimensions aligned, each pair equal or one of them 1, missing leading dimensions count as 1), the same
 * with a scalar, {@code neg}, and the {@code sum} / {@code mean} reductions. Each returns a new tensor the
 * caller owns and records itself on the current {@link Tape}: the gradient to a broadcast operand is
 * summed back to its shape. Both operands must be on one backend; empty tensors give empty results.
 */
public final class Arithmetic {
    private static final Parameter[] NO_PARAMS = new Parameter[0];

    private Arithmetic() {
    }

    // ---- tensor op tensor -----------------------------------------------------------------------

    /** a + b, broadcasting. */
    public static Tensor add(Tensor a, Tensor b) {
        return add(a, b, 1);
    }

    /** a + alpha * b, broadcasting ({@code torch.add(a, b, alpha=alpha)}); gradients dy and alpha * dy. */
    public static Tensor add(Tensor a, Tensor b, double alpha) {
        return broadcasting("add", BinaryOp.ADD, alpha, a, b);
    }

    /** a - b, broadcasting. */
    public static Tensor sub(Tensor a, Tensor b) {
        return sub(a, b, 1);
    }

    /** a - alpha * b, broadcasting ({@code torch.sub(a, b, alpha=alpha)}); gradients dy and -alpha * dy. */
    public static Tensor sub(Tensor a, Tensor b, double alpha) {
        return broadcasting("sub", BinaryOp.SUB, alpha, a, b);
    }

    /** a * b, broadcasting; gradients dy * b and dy * a. */
    public static Tensor mul(Tensor a, Tensor b) {
        return broadcasting("mul", BinaryOp.MUL, 1, a, b);
    }

    /** a / b (true division), broadcasting; gradients dy / b and -dy * ((a / b) / b). */
    public static Tensor div(Tensor a, Tensor b) {
        return broadcasting("div", BinaryOp.DIV, 1, a, b);
    }

    private static Tensor broadcasting(String name, BinaryOp op, double alpha, Tensor a, Tensor b) {
        Backend be = Ops.requireFloats(name, a, b);
        Shape as = a.shape();
        Shape bs = b.shape();
        Broadcast layout = Broadcast.of(as.dims(), bs.dims());
        Tensor out = Ops.binary(be, op, alpha, layout, a, b);
        Tensor[] saved = switch (op) {
            case ADD, SUB -> new Tensor[0];
            case MUL -> new Tensor[] {a, b};
            case DIV -> new Tensor[] {b, out};
        };
        return Tape.record(name, out, new Tensor[] {a, b}, NO_PARAMS, saved, (dy, k) -> {
            switch (op) {
                case ADD, SUB -> {
                    Tensor ga = Ops.reduceTo(be, dy, as);
                    try {
                        Tensor gb = Ops.reduceTo(be, dy, bs);
                        return new Tensor[] {ga, Ops.scaleAndClose(be, gb, op == BinaryOp.ADD ? alpha : -alpha)};
                    } catch (RuntimeException e) {
                        ga.close();
                        throw e;
                    }
                }
                case MUL -> {
                    Tensor ga = productTo(be, BinaryOp.MUL, dy, k[1], as);
                    try {
                        return new Tensor[] {ga, productTo(be, BinaryOp.MUL, dy, k[0], bs)};
                    } catch (RuntimeException e) {
                        ga.close();
                        throw e;
                    }
                }
                default -> {
                    Tensor ga = productTo(be, BinaryOp.DIV, dy, k[0], as);
                    try (Tensor q = Ops.binary(be, BinaryOp.DIV, k[1], k[0])) {
                        return new Tensor[] {ga, Ops.negateAndClose(be, productTo(be, BinaryOp.MUL, dy, q, bs))};
                    } catch (RuntimeException e) {
                        ga.close();
                        throw e;
                    }
                }
            }
        });
    }

    /** (dy op other), broadcast to dy's shape, summed back to {@code target}. */
    private static Tensor productTo(Backend be, BinaryOp op, Tensor dy, Tensor other, Shape target) {
        try (Tensor p = Ops.binary(be, op, dy, other)) {
            return Ops.reduceTo(be, p, target);
        }
    }

    // ---- tensor op scalar -----------------------------------------------------------------------

    /** x + s; gradient dy. */
    public static Tensor add(Tensor x, double s) {
        return scalarOp("add", BinaryOp.ADD, x, s, false);
    }

    /** x - s; gradient dy. */
    public static Tensor sub(Tensor x, double s) {
        return scalarOp("sub", BinaryOp.SUB, x, s, false);
    }

    /** s - x ({@code torch.rsub(x, s)}); gradient -dy. */
    public static Tensor rsub(double s, Tensor x) {
        return scalarOp("rsub", BinaryOp.SUB, x, s, true);
    }

    /** x * s; gradient dy * s. */
    public static Tensor mul(Tensor x, double s) {
        return scalarOp("mul", BinaryOp.MUL, x, s, false);
    }

    /** x / s; gradient dy / s. */
    public static Tensor div(Tensor x, double s) {
        return scalarOp("div", BinaryOp.DIV, x, s, false);
    }

    /** s / x; gradient -dy * ((s / x) / x). */
    public static Tensor rdiv(double s, Tensor x) {
        return scalarOp("rdiv", BinaryOp.DIV, x, s, true);
    }

    /** -x; gradient -dy. */
    public static Tensor neg(Tensor x) {
        Backend be = Ops.requireFloat("neg", x);
        Tensor out = Ops.scalar(be, BinaryOp.MUL, x, -1, false);
        return Tape.record("neg", out, new Tensor[] {x}, NO_PARAMS, new Tensor[0],
                (dy, k) -> new Tensor[] {Ops.scalar(be, BinaryOp.MUL, dy, -1, false)});
    }

    private static Tensor scalarOp(String name, BinaryOp op, Tensor x, double s, boolean scalarFirst) {
        Backend be = Ops.requireFloat(name, x);
        Tensor out = Ops.scalar(be, op, x, s, scalarFirst);
        boolean rdiv = op == BinaryOp.DIV && scalarFirst;
        Tensor[] saved = rdiv ? new Tensor[] {x, out} : new Tensor[0];
        return Tape.record(name, out, new Tensor[] {x}, NO_PARAMS, saved, (dy, k) -> {
            Tensor g = switch (op) {
                case ADD -> dy.share();
                case SUB -> scalarFirst ? Ops.scalar(be, BinaryOp.MUL, dy, -1, false) : dy.share();
                case MUL -> Ops.scalar(be, BinaryOp.MUL, dy, s, false);
                case DIV -> {
                    if (!scalarFirst) {
                        yield Ops.scalar(be, BinaryOp.DIV, dy, s, false);
                    }
                    try (Tensor q = Ops.binary(be, BinaryOp.DIV, k[1], k[0])) {
                        yield Ops.negateAndClose(be, Ops.binary(be, BinaryOp.MUL, dy, q));
                    }
                }
            };
            return new Tensor[] {g};
        });
    }

    // ---- reductions -----------------------------------------------------------------------------

    /**
     * The sum over {@code dims} (negative count from the end; null or empty: every dimension), those
     * dimensions kept as 1 with {@code keepdim} or removed; summed in double. The sum of no elements is 0.
     * Gradient: dy broadcast back to x's shape.
     */
    public static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
        return reduction("sum", x, dims, keepdim, false);
    }

    /**
     * The mean over {@code dims} (as {@link #sum}): the sum divided by the number of elements reduced (NaN
     * for none). Gradient: dy broadcast back to x's shape, divided by that number.
     */
    public static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
        return reduction("mean", x, dims, keepdim, true);
    }

    private static Tensor reduction(String name, Tensor x, int[] dims, boolean keepdim, boolean mean) {
        Backend be = Ops.requireFloat(name, x);
        Shape xs = x.shape();
        int rank = xs.rank();
        boolean[] reduce = reducedDims(name, dims, rank);
        int[] keepDims = xs.dims();
        long count = 1;
        int kept = 0;
        for (int d = 0; d < rank; d++) {
            if (reduce[d]) {
                count *= keepDims[d];
                keepDims[d] = 1;
            } else {
                kept++;
            }
        }
        int[] outDims = new int[keepdim ? rank : kept];
        for (int d = 0, o = 0; d < rank; d++) {
            if (keepdim || !reduce[d]) {
                outDims[o++] = keepDims[d];
            }
        }
        Shape keepShape = Shape.of(keepDims);
        Shape outShape = Shape.of(outDims);
        double n = count;
        Tensor out;
        try (Tensor s = Ops.sumKeep(be, x, reduce); Tensor m = mean ? Ops.scalar(be, BinaryOp.DIV, s, n, false) : null) {
            out = (mean ? m : s).reshape(outShape);
        }
        return Tape.record(name, out, new Tensor[] {x}, NO_PARAMS, new Tensor[0], (dy, k) -> {
            try (Tensor g = dy.reshape(keepShape)) {
                return new Tensor[] {Ops.expand(be, g, xs, mean ? BinaryOp.DIV : BinaryOp.MUL, mean ? n : 1)};
            }
        });
    }

    /** Which dimensions a reduction over {@code dims} sums, with PyTorch's range and duplicate checks. */
    private static boolean[] reducedDims(String name, int[] dims, int rank) {
        boolean[] reduce = new boolean[rank];
        if (dims == null || dims.length == 0) {
            java.util.Arrays.fill(reduce, true);
            return reduce;
        }
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (int dim : dims) {
            int d = Functional.checkDim(name, dim, rank);
            if (seen[d]) {
                throw new IllegalArgumentException(name + ": dim " + d + " appears multiple times in the list of dims");
            }
            seen[d] = true;
            if (d < rank) {
                reduce[d] = true;
            }
        }
        return reduce;
    }
}
