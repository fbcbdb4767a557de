package org.layers4j.cuda;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;

/**
 * cuBLAS for one backend: one handle per {@link StreamContext} (created on the context's first GEMM,
 * bound to its stream), so concurrent calls never share a handle, as with cuDNN's. Only constructed
 * once {@link CublasLibrary#problem()} said cuBLAS loads. Strict FP32 ({@code CUBLAS_DEFAULT_MATH})
 * unless {@code layers4j.cuda.tf32} allows {@code CUBLAS_TF32_TENSOR_OP_MATH}.
 */
final class Cublas implements AutoCloseable {
    /** cublasOperation_t. */
    static final int OP_N = 0;
    static final int OP_T = 1;
    /** cublasMath_t CUBLAS_DEFAULT_MATH / CUBLAS_TF32_TENSOR_OP_MATH. */
    static final int DEFAULT_MATH = 0;
    static final int TF32_TENSOR_OP_MATH = 3;

    private final int mathMode;
    private final Map<StreamContext, cublasHandle> handles = new ConcurrentHashMap<>();

    Cublas(CudaSettings settings) {
        this.mathMode = settings.tf32() ? TF32_TENSOR_OP_MATH : DEFAULT_MATH;
    }

    private cublasHandle handle(StreamContext ctx) {
        return handles.computeIfAbsent(ctx, c -> {
            cublasHandle h = new cublasHandle();
            CudaFailure.cublas(JCublas2.cublasCreate(h), "cublasCreate");
            int s = JCublas2.cublasSetStream(h, c.stream);
            if (s == 0) {
                s = JCublas2.cublasSetMathMode(h, mathMode);
            }
            if (s != 0) {
                JCublas2.cublasDestroy(h);
                CudaFailure.cublas(s, "cublasSetStream / cublasSetMathMode");
            }
            return h;
        });
    }

    /**
     * Row-major c[m, n] = op(a) op(b) (+ c): column-major cuBLAS computes c^T = op(b)^T op(a)^T, so the
     * operands swap and each keeps its transpose flag; leading dimensions are the row-major row lengths.
     */
    void sgemm(StreamContext ctx, boolean transA, boolean transB, int m, int n, int k, Pointer a, Pointer b, Pointer c,
               boolean accumulate) {
        Pointer beta = accumulate ? CudnnBackend.ONE : CudnnBackend.ZERO;
        CudaFailure.cublas(JCublas2.cublasSgemm(handle(ctx), transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k,
                CudnnBackend.ONE, b, transB ? k : n, a, transA ? m : k, beta, c, n), "cublasSgemm");
    }

    @Override
    public void close() {
        int first = 0;
        for (cublasHandle h : handles.values()) {
            int s = JCublas2.cublasDestroy(h);
            first = first == 0 ? s : first;
        }
        handles.clear();
        CudaFailure.cublas(first, "cublasDestroy");
    }
}
