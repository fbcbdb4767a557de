package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.jcudnn.JCudnn;
import org.layers4j.Tensor;
import org.layers4j.cuda.AlgoKey.Direction;
import org.layers4j.spi.BlasOps;
import org.layers4j.spi.ConvGeometry;

/**
 * Linear's GEMM: {@code cublasSgemm} when cuBLAS loaded ({@link CublasLibrary}), else the same product on
 * cuDNN as a 1x1 convolution — never on the CPU. As a convolution, A [m, k] is the input [m, k, 1, 1]
 * (batch m, k channels), B^T [n, k] the filter [n, k, 1, 1], and the output [m, n, 1, 1] is C. Operands
 * in the other orientation are first transposed into scratch with a strided {@code cudnnTransformTensor};
 * accumulation adds the product with {@code cudnnAddTensor}.
 */
final class CudaBlasOps implements BlasOps {
    private final CudnnBackend b;

    CudaBlasOps(CudnnBackend backend) {
        this.b = backend;
    }

    /** The convolution that computes [m, k] x [k, n]: batch m, k input channels, n filters, all 1x1. */
    static ConvGeometry asConvolution(int m, int n, int k) {
        return new ConvGeometry(m, k, 1, 1, n, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    }

    /** The strided view of a row-major [cols, rows] matrix read as [rows, cols, 1, 1] (its transpose). */
    static TensorLayout transposedView(int rows, int cols) {
        return TensorLayout.strided(new int[] {rows, cols, 1, 1}, new int[] {1, rows, 1, 1});
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor bm, Tensor c,
                     boolean accumulate) {
        if ((long) m * n == 0) {
            return;
        }
        Pointer pa = b.pointer(a);
        Pointer pb = b.pointer(bm);
        Pointer pc = b.pointer(c);
        if (k == 0) {
            if (!accumulate) {
                b.exec(ctx -> CudaFailure.cuda(jcuda.runtime.JCuda.cudaMemsetAsync(pc, 0, (long) m * n * Sizeof.FLOAT,
                        ctx.stream), "cudaMemsetAsync"));
            }
            return;
        }
        Cublas cublas = b.cublas();
        if (cublas != null) {
            b.exec(ctx -> cublas.sgemm(ctx, transA, transB, m, n, k, pa, pb, pc, accumulate));
            return;
        }
        gemmOnCudnn(transA, transB, m, n, k, pa, pb, pc, accumulate);
    }

    /** The product as a cuDNN 1x1 convolution (the path without cuBLAS; the GPU tests also call it directly). */
    void gemmOnCudnn(boolean transA, boolean transB, int m, int n, int k, Pointer pa, Pointer pb, Pointer pc,
                     boolean accumulate) {
        ConvGeometry g = asConvolution(m, n, k);
        Descriptors d = b.descriptors();
        b.exec(ctx -> {
            // input [m, k]: a as is, or a [k, m] transposed
            Pointer x = transA ? transpose(ctx, pa, m, k) : pa;
            // filter [n, k]: b transposed [n, k] as is, or b [k, n] transposed
            Pointer w = transB ? pb : transpose(ctx, pb, n, k);
            if (!accumulate) {
                b.convolutions().run(ctx, Direction.FORWARD, g, x, w, pc);
                return;
            }
            Pointer product = ctx.scratch((long) m * n * Sizeof.FLOAT).pointer;
            b.convolutions().run(ctx, Direction.FORWARD, g, x, w, product);
            var cd = d.tensor(TensorLayout.contiguous(m, n, 1, 1));
            CudaFailure.cudnn(JCudnn.cudnnAddTensor(ctx.handle, ONE, cd, product, ONE, cd, pc),
                    "cudnnAddTensor (GEMM accumulate)");
        });
    }

    /** A scratch [rows, cols] copy of the row-major [cols, rows] matrix at src. */
    private Pointer transpose(StreamContext ctx, Pointer src, int rows, int cols) {
        Pointer dst = ctx.scratch((long) rows * cols * Sizeof.FLOAT).pointer;
        Descriptors d = b.descriptors();
        CudaFailure.cudnn(JCudnn.cudnnTransformTensor(ctx.handle, ONE, d.tensor(transposedView(rows, cols)), src, ZERO,
                d.tensor(TensorLayout.contiguous(rows, cols, 1, 1)), dst), "cudnnTransformTensor (GEMM transpose)");
        return dst;
    }
}
