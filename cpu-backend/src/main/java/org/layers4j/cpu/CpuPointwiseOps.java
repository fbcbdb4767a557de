package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.BinaryOp;
import org.layers4j.spi.Broadcast;
import org.layers4j.spi.PointwiseOps;
import org.layers4j.spi.UnaryOp;

/**
 * Broadcasting arithmetic, the newer activations and axis sums on the CPU, split in chunks across the
 * threads. Broadcasting runs on the collapsed layout ({@link Broadcast#collapsed}) row by row: same
 * shapes become one row (the vector kernels for add and multiply), a per-channel operand ([N, C, 1, 1] or
 * [C, 1, 1] against [N, C, H, W]) rows of H*W against one value, anything else an odometer over the outer
 * dimensions with the last one as the row.
 */
final class CpuPointwiseOps implements PointwiseOps {
    /** Inner positions per strip task of a strided axis sum. */
    private static final int STRIP = 1024;
    /** Elements per task of a long contiguous sum. */
    private static final int SUM_CHUNK = 1 << 16;
    /** Elements per task of a rows-times-values product (whole rows). */
    private static final int ROW_CHUNK = 1 << 14;

    private final PointwiseKernels pk;
    private final Elementwise split;
    private final ParallelRunner runner;

    CpuPointwiseOps(Kernels kernels, Elementwise split, ParallelRunner runner) {
        this.pk = kernels.pointwise();
        this.split = split;
        this.runner = runner;
    }

    @Override
    public void binary(BinaryOp op, double alpha, Broadcast layout, Tensor a, Tensor b, Tensor out) {
        float[] av = CpuStorage.of(a);
        float[] bv = CpuStorage.of(b);
        float[] o = CpuStorage.overwrite(out);
        float al = op == BinaryOp.ADD || op == BinaryOp.SUB ? (float) alpha : 1f;
        Broadcast c = layout.collapsed();
        int[] dims = c.dims();
        int[] sa = c.aStrides();
        int[] sb = c.bStrides();
        int rank = dims.length;
        if (rank == 1 && sa[0] == 1 && sb[0] == 1 && al == 1f && (op == BinaryOp.ADD || op == BinaryOp.MUL)) {
            if (op == BinaryOp.ADD) {
                split.runChunks(o.length, (from, to) -> pk.add(from, to, av, bv, o));
            } else {
                split.runChunks(o.length, (from, to) -> pk.multiply(from, to, av, bv, o));
            }
            return;
        }
        if (rank == 2 && op == BinaryOp.MUL && (rowTimesValue(dims, sa, sb) || rowTimesValue(dims, sb, sa))) {
            // each row times its own value (x * the squeeze-excitation scale of its channel): blocks of whole rows
            boolean aRows = rowTimesValue(dims, sa, sb);
            float[] rowsOf = aRows ? av : bv;
            float[] values = aRows ? bv : av;
            int rows = dims[0];
            int len = dims[1];
            int per = Math.max(1, ROW_CHUNK / len);
            runner.run((rows + per - 1) / per, t -> {
                int r0 = t * per;
                int n = Math.min(rows, r0 + per) - r0;
                pk.scaleRows(n, len, values, r0, rowsOf, r0 * len, o, r0 * len);
            });
            return;
        }
        split.runChunks(o.length, (from, to) -> strided(op, al, dims, sa, sb, av, bv, o, from, to));
    }

    /** Whether x (strides sx) is contiguous rows of dims[1] and y (strides sy) one value per row, consecutive. */
    private static boolean rowTimesValue(int[] dims, int[] sx, int[] sy) {
        return sx[1] == 1 && sx[0] == dims[1] && sy[1] == 0 && sy[0] == 1;
    }

    /** Outputs [from, to) of the collapsed layout: row pieces along the last dimension, an odometer above. */
    private void strided(BinaryOp op, float alpha, int[] dims, int[] sa, int[] sb, float[] a, float[] b,
                                float[] o, int from, int to) {
        int rank = dims.length;
        int last = rank - 1;
        int[] idx = new int[rank];
        int rem = from;
        int ai = 0;
        int bi = 0;
        for (int d = last; d >= 0; d--) {
            idx[d] = rem % dims[d];
            rem /= dims[d];
            ai += idx[d] * sa[d];
            bi += idx[d] * sb[d];
        }
        int i = from;
        while (i < to) {
            int len = Math.min(to - i, dims[last] - idx[last]);
            if (op == BinaryOp.MUL && (sa[last] == 1 && sb[last] == 0 || sa[last] == 0 && sb[last] == 1)) {
                // a row times one value (x * the squeeze-excitation scale of its channel): one vector product
                if (sa[last] == 1) {
                    pk.scale(len, b[bi], a, ai, o, i);
                } else {
                    pk.scale(len, a[ai], b, bi, o, i);
                }
            } else {
                BroadcastRows.row(op, alpha, len, a, ai, sa[last], b, bi, sb[last], o, i);
            }
            i += len;
            idx[last] += len;
            ai += len * sa[last];
            bi += len * sb[last];
            for (int d = last; d > 0 && idx[d] == dims[d]; d--) {
                ai += sa[d - 1] - dims[d] * sa[d];
                bi += sb[d - 1] - dims[d] * sb[d];
                idx[d] = 0;
                idx[d - 1]++;
            }
        }
    }

    @Override
    public void scalar(BinaryOp op, Tensor x, double s, boolean scalarFirst, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        float[] sv = {(float) s};
        if (scalarFirst) {
            split.runChunks(yv.length, (from, to) -> BroadcastRows.row(op, 1f, to - from, sv, 0, 0, xv, from, 1, yv, from));
        } else {
            split.runChunks(yv.length, (from, to) -> BroadcastRows.row(op, 1f, to - from, xv, from, 1, sv, 0, 0, yv, from));
        }
    }

    @Override
    public void sumAxis(int outer, int size, int inner, Tensor x, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        if (inner == 1) {
            if (outer < runner.threads() && size >= 2 * SUM_CHUNK) {
                // few long rows (a sum of everything): each row in chunks, the partial sums combined in double
                int chunks = (size + SUM_CHUNK - 1) / SUM_CHUNK;
                double[] part = new double[outer * chunks];
                runner.run(outer * chunks, t -> {
                    int row = t / chunks;
                    int from = (t % chunks) * SUM_CHUNK;
                    part[t] = pk.sumDouble(Math.min(SUM_CHUNK, size - from), xv, row * size + from);
                });
                for (int row = 0; row < outer; row++) {
                    double s = 0;
                    for (int k = 0; k < chunks; k++) {
                        s += part[row * chunks + k];
                    }
                    yv[row] = (float) s;
                }
                return;
            }
            split.forPlanes(outer, size, row -> yv[row] = (float) pk.sumDouble(size, xv, row * size));
            return;
        }
        int strips = (inner + STRIP - 1) / STRIP;
        runner.run(outer * strips, t -> {
            int row = t / strips;
            int j0 = (t % strips) * STRIP;
            int len = Math.min(STRIP, inner - j0);
            double[] acc = new double[len];
            for (int s = 0; s < size; s++) {
                int base = (row * size + s) * inner + j0;
                for (int j = 0; j < len; j++) {
                    acc[j] += xv[base + j];
                }
            }
            int dst = row * inner + j0;
            for (int j = 0; j < len; j++) {
                yv[dst + j] = (float) acc[j];
            }
        });
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        split.runChunks(yv.length, (from, to) -> pk.activation(op, from, to, xv, yv));
    }

    @Override
    public void unaryBackward(UnaryOp op, Tensor x, Tensor dy, Tensor dx) {
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        if (op.kind() == UnaryOp.Kind.SILU) {
            // s = sigmoid(x) on the vector kernel into dx, then dy * s * (1 + x * (1 - s)) in place
            split.runChunks(d.length, (from, to) -> {
                pk.sigmoid(from, to, xv, d);
                for (int i = from; i < to; i++) {
                    float s = d[i];
                    d[i] = g[i] * s * (1f + xv[i] * (1f - s));
                }
            });
            return;
        }
        split.runChunks(d.length, (from, to) -> UnaryKernels.backward(op, from, to, xv, g, d));
    }
}
