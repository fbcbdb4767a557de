package org.layers4j.cpu;

/**
 * Rows of the two column phases of a stride-2 layout, each filled in one pass over its input row: phase b's column j
 * holds input column {@code base + 2j + b}, zero where that lies outside [0, w). Used by the phase planes of a strided
 * depthwise convolution ({@link DirectConvolution.Phases}), the polyphase bands of strided convolutions
 * ({@link BandLayout}) and strided pooling rows; gathering each phase on its own read the row twice, with a scalar tail
 * per phase. Plain data movement: the values are the gathered ones. The pairs start on an even column of the row, so
 * the loads keep the row's alignment: (phase 0 at j, phase 1 at j) from column base + 2j when base is even, else
 * (phase 1 at j, phase 0 at j + 1) from column base + 1 + 2j. Built once per layout; {@link #row} per row.
 */
final class PhasePairs {
    private final int wq;
    private final int from0;
    private final int to0;
    private final int from1;
    private final int to1;
    /** Column of the first phase's cell 0 (base or base + 1, even), and the second phase's shift (0 or 1). */
    private final int c0;
    private final int k;
    private final boolean even;
    /** The pairs: first phase cells [lo, hi), second phase cells [lo + k, hi + k). */
    private final int lo;
    private final int hi;

    /** The layout of rows of w input columns, phase cell 0 at input column base, wq cells per phase row. */
    PhasePairs(int w, int base, int wq) {
        this.wq = wq;
        from0 = first(base, 0, wq);
        from1 = first(base, 1, wq);
        to0 = Math.max(from0, end(base, 0, w, wq));
        to1 = Math.max(from1, end(base, 1, w, wq));
        even = (base & 1) == 0;
        c0 = even ? base : base + 1;
        k = even ? 0 : 1;
        lo = Math.max(even ? from0 : from1, (even ? from1 : from0) - k);
        hi = Math.max(lo, Math.min(even ? to0 : to1, (even ? to1 : to0) - k));
    }

    /**
     * dst[d0 + j] = x[row + base + 2j] and dst[d1 + j] = x[row + base + 2j + 1] for j in [0, wq) where those columns are
     * in [0, w); the other cells are set to 0 when {@code zero}, else left as they are.
     */
    void row(Kernels kn, float[] x, int row, float[] dst, int d0, int d1, boolean zero) {
        if (zero) {
            zero(dst, d0, 0, from0);
            zero(dst, d1, 0, from1);
            zero(dst, d0, to0, wq);
            zero(dst, d1, to1, wq);
        }
        int fd = even ? d0 : d1;
        int sd = even ? d1 : d0;
        int fFrom = even ? from0 : from1;
        int fTo = even ? to0 : to1;
        int sFrom = even ? from1 : from0;
        int sTo = even ? to1 : to0;
        // at most one cell of either phase lies before the pairs, and only the first phase can have one after them
        // (the second phase's last column is never past the first's: sTo - k <= fTo, so hi + k >= sTo)
        for (int j = fFrom; j < Math.min(lo, fTo); j++) {
            dst[fd + j] = x[row + c0 + 2 * j];
        }
        for (int j = Math.max(hi, fFrom); j < fTo; j++) {
            dst[fd + j] = x[row + c0 + 2 * j];
        }
        for (int j = sFrom; j < Math.min(lo + k, sTo); j++) {
            dst[sd + j] = x[row + c0 + 2 * (j - k) + 1];
        }
        kn.deinterleave(hi - lo, x, row + c0 + 2 * lo, dst, fd + lo, dst, sd + lo + k);
    }

    /** The first j in [0, wq] with base + 2j + b >= 0. */
    private static int first(int base, int b, int wq) {
        return Math.min(wq, Math.max(0, Math.floorDiv(-base - b + 1, 2)));
    }

    /** One past the last j in [0, wq] with base + 2j + b < w. */
    private static int end(int base, int b, int w, int wq) {
        return Math.min(wq, Math.max(0, Math.floorDiv(w - base - b + 1, 2)));
    }

    private static void zero(float[] dst, int off, int from, int to) {
        for (int j = from; j < to; j++) {
            dst[off + j] = 0f;
        }
    }
}
