package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.Tensor;
import org.layers4j.spi.BlasOps;

/**
 * Row-major GEMM on the convolution micro-kernel ({@link Gemm}): C is cut into blocks of rows and columns,
 * one task each (so tasks never write the same element), and each task runs the blocked driver with
 * packers that read op(A) and op(B) in place for the four transpose cases.
 */
final class CpuBlasOps implements BlasOps {
    /** Products below this many multiply-adds run on the calling thread alone. */
    private static final long SERIAL_FLOPS = 1L << 18;
    /** Largest row block of a task (a multiple of every mr). */
    private static final int ROWS = 256;
    /** Largest column block of a task (a multiple of every nr). */
    private static final int COLS = 512;

    private final Kernels kn;
    private final ParallelRunner runner;

    CpuBlasOps(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor b, Tensor c,
                     boolean accumulate) {
        float[] av = CpuStorage.of(a);
        float[] bv = CpuStorage.of(b);
        float[] cv = accumulate ? CpuStorage.of(c) : CpuStorage.overwrite(c);
        multiply(transA, transB, m, n, k, av, bv, cv, accumulate);
    }

    /** c[m x n] (=|+=) op(a) op(b), split over the threads. */
    void multiply(boolean transA, boolean transB, int m, int n, int k, float[] a, float[] b, float[] c,
                  boolean accumulate) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                Arrays.fill(c, 0, m * n, 0f);
            }
            return;
        }
        if (m == 1) {
            vectorTimesMatrix(transB, n, k, a, b, c, accumulate);
            return;
        }
        int mr = kn.mr();
        int nr = kn.nr();
        int rowBlock = Math.min(Gemm.roundUp(m, mr), ROWS);
        int colBlock = Math.min(Gemm.roundUp(n, nr), COLS);
        if ((long) m * n * k >= SERIAL_FLOPS) {
            int want = 2 * runner.threads();
            while (blocks(m, rowBlock) * blocks(n, colBlock) < want) {
                if (colBlock >= 4 * nr && colBlock >= rowBlock) {
                    colBlock = Gemm.roundUp(colBlock / 2, nr);
                } else if (rowBlock >= 2 * mr) {
                    rowBlock = Gemm.roundUp(rowBlock / 2, mr);
                } else if (colBlock >= 2 * nr) {
                    colBlock = Gemm.roundUp(colBlock / 2, nr);
                } else {
                    break;
                }
            }
        } else {
            rowBlock = m;
            colBlock = n;
        }
        int rb = rowBlock;
        int cb = colBlock;
        int colTasks = blocks(n, cb);
        runner.run(blocks(m, rb) * colTasks, t -> {
            int r0 = (t / colTasks) * rb;
            int c0 = (t % colTasks) * cb;
            int rows = Math.min(rb, m - r0);
            int cols = Math.min(cb, n - c0);
            Gemm.PackA pa = transA ? new Packers.TransposedA(a, r0, m, rows) : new Packers.RowsA(a, r0 * k, k, rows);
            Gemm.PackB pb = transB ? new Packers.ColumnsB(kn, b, c0 * k, k) : new Packers.MatrixB(b, c0, n);
            Gemm.multiply(kn, Workspace.get(), rows, cols, k, pa, pb, c, r0 * n + c0, n, accumulate);
        });
    }

    /**
     * One row of output (Linear on a single sample): a packed micro-tile would be 1/mr full, so this
     * streams B once instead, as dot products with B's rows (transB) or as axpys of them, over column chunks.
     * a's k values are contiguous whether or not it is transposed.
     */
    private void vectorTimesMatrix(boolean transB, int n, int k, float[] a, float[] b, float[] c, boolean accumulate) {
        int cols;
        if ((long) n * k < SERIAL_FLOPS) {
            cols = n;
        } else if (transB) {
            // about 64 Ki weights per task
            cols = (int) Math.max(kn.nr(), Math.min(n, (1L << 16) / k / kn.nr() * kn.nr()));
        } else {
            // long contiguous row segments of B (prefetch friendly), a few tasks per thread
            cols = Math.min(n, Math.max(kn.nr(), Gemm.roundUp((n + 4 * runner.threads() - 1) / (4 * runner.threads()), kn.nr())));
        }
        int tasks = (n + cols - 1) / cols;
        runner.run(tasks, t -> {
            int j0 = t * cols;
            int j1 = Math.min(n, j0 + cols);
            if (transB) {
                for (int j = j0; j < j1; j++) {
                    float d = kn.dot(k, a, 0, b, j * k);
                    c[j] = accumulate ? c[j] + d : d;
                }
                return;
            }
            if (!accumulate) {
                Arrays.fill(c, j0, j1, 0f);
            }
            for (int p = 0; p < k; p++) {
                kn.axpy(j1 - j0, a[p], b, p * n + j0, c, j0);
            }
        });
    }

    private static int blocks(int size, int block) {
        return (size + block - 1) / block;
    }
}
