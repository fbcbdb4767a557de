package org.layers4j.spi;

import org.layers4j.Tensor;

/** Moving elements: explicit padding, axis permutation, and the row gather / scatter of Embedding. */
public interface LayoutOps {
    /** padded[N,C,H+top+bottom,W+left+right] = x[N,C,H,W] padded as the plan says. */
    void pad(PaddingPlan plan, Tensor x, Tensor padded);

    /** dx[N,C,H,W] = the padded gradient folded back: every padded element added to its source. */
    void padBackward(PaddingPlan plan, Tensor dPadded, Tensor dx);

    /**
     * y = x with its axes permuted, contiguous: y's axis i is x's axis {@code dims[i]} (PyTorch's
     * {@code x.permute(dims).contiguous()}); y's shape is the permuted shape.
     */
    void permute(Tensor x, int[] dims, Tensor y);

    /**
     * out[i, :] = table[indices[i], :] for INT64 indices of any shape with m elements, table [v, e],
     * out of m * e elements. Core has checked every index is in [0, v).
     */
    void gatherRows(Tensor indices, Tensor table, Tensor out);

    /**
     * dTable = 0, then dTable[indices[i], :] += dOut[i, :] for every i whose index is not
     * {@code skipIndex} (-1: none skipped): Embedding's weight gradient with padding_idx.
     */
    void scatterAddRows(Tensor indices, Tensor dOut, Tensor dTable, long skipIndex);
}
