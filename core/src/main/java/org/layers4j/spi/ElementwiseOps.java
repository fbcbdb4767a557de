package org.layers4j.spi;

import org.layers4j.Tensor;

/** Element-wise arithmetic on float32 tensors of equal size (shapes may differ; elements are row-major). */
public interface ElementwiseOps {
    /** out = a + b. */
    void add(Tensor a, Tensor b, Tensor out);

    /** acc += x, in place. */
    void accumulate(Tensor acc, Tensor x);

    /** out = a * b. */
    void multiply(Tensor a, Tensor b, Tensor out);

    /** dst = src (also from INT64 to INT64). */
    void copy(Tensor src, Tensor dst);
}
