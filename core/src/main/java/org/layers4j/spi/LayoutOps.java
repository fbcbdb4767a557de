package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Moving elements: explicit padding, axis permutation, the row gather / scatter of Embedding, and the
 * copies behind cat / split / narrow / slice / expand / constant pad. The last group has defaults that
 * say the backend lacks the op (never a silent fallback).
 */
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

    /**
     * A strided copy of slabs (cat, split, chunk, narrow, slice, select and their backwards): with src viewed
     * as [outer, srcMid, inner] and dst as [outer, dstMid, inner],
     * {@code dst[o, dstStart + j * dstStep, i] = src[o, srcStart + j * srcStep, i]} for {@code o < outer},
     * {@code j < count, i < inner}. Unlike other ops it writes only those elements of dst and leaves the rest as
     * they are (callers copy into a fresh zero tensor, or fill one output from several calls). Core has
     * checked every index is in range, steps are >= 1 and outer * count * inner > 0.
     */
    default void copySlab(Tensor src, int srcMid, int srcStart, int srcStep, Tensor dst, int dstMid, int dstStart,
                          int dstStep, int outer, int count, int inner) {
        throw Unsupported.op(getClass().getSimpleName(), "copySlab (cat / split / narrow / slice)");
    }

    /**
     * Constant padding of any rank (F.pad's 'constant' mode, negative pads crop):
     * {@code y[idx] = x[idx - before]} where every coordinate of {@code idx - before} lies in x, else
     * {@code value}; {@code before[d]} (one per dim, may be negative) is the padding before dim d, and y's
     * shape says the rest (x may be empty: y is then all value). Its backward is this op on dy with {@code -before} and value 0.
     */
    default void padConstant(Tensor x, int[] before, float value, Tensor y) {
        throw Unsupported.op(getClass().getSimpleName(), "constant padding (F.pad)");
    }
}
