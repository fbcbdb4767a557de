package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Dense matrix products (Linear). Matrices are row-major and contiguous: {@code a} holds
 * {@code op(A)}'s source, [m, k] or, transposed, [k, m]; {@code b} holds [k, n] or, transposed, [n, k].
 */
public interface BlasOps {
    /** c[m, n] = op(a) * op(b) + (accumulate ? c : 0), where op transposes when asked. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor b, Tensor c, boolean accumulate);
}
