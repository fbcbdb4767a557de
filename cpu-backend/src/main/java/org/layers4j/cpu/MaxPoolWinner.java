package org.layers4j.cpu;

/**
 * Max pooling's backward re-finds each window's winner (the cell the forward picked) from x and the
 * output value instead of storing indices in the forward; these are those scans, out of CpuPoolingOps.
 */
final class MaxPoolWinner {
    private MaxPoolWinner() {
    }

    /**
     * The index of the window cell max pooling picked as value m, or -1 when the window has none. The
     * common case scans backwards keeping the last match seen, i.e. the first in row-major order, with a
     * select instead of an unpredictable early exit.
     */
    static int find(float[] x, float m, int xp, int w, int h0, int i0, int i1, int dh, int w0, int j0, int j1,
                              int dw) {
        int found = -1;
        if (m != m) {
            for (int i = i0; i < i1; i++) {
                int rowOff = xp + (h0 + i * dh) * w + w0;
                for (int j = j0; j < j1; j++) {
                    float v = x[rowOff + j * dw];
                    if (v != v) {
                        found = rowOff + j * dw;
                    }
                }
            }
            return found;
        }
        if (i1 - i0 == 3 && j1 - j0 == 3 && dh == 1 && dw == 1) {
            return find3x3(x, m, xp + (h0 + i0) * w + w0 + j0, w);
        }
        for (int i = i1 - 1; i >= i0; i--) {
            int rowOff = xp + (h0 + i * dh) * w + w0;
            for (int j = j1 - 1; j >= j0; j--) {
                int at = rowOff + j * dw;
                found = x[at] == m ? at : found;
            }
        }
        return found;
    }

    /**
     * {@link #find} for a full 3 x 3 window without dilation (ResNet's stem pool, nearly all of its windows),
     * unrolled: the general loops' trip counts are runtime values, and their loop control cost more than the
     * nine compares. Same scan order (backwards, so the first match in row-major order wins).
     */
    private static int find3x3(float[] x, float m, int at, int w) {
        int r1 = at + w;
        int r2 = r1 + w;
        int found = x[r2 + 2] == m ? r2 + 2 : -1;
        found = x[r2 + 1] == m ? r2 + 1 : found;
        found = x[r2] == m ? r2 : found;
        found = x[r1 + 2] == m ? r1 + 2 : found;
        found = x[r1 + 1] == m ? r1 + 1 : found;
        found = x[r1] == m ? r1 : found;
        found = x[at + 2] == m ? at + 2 : found;
        found = x[at + 1] == m ? at + 1 : found;
        return x[at] == m ? at : found;
    }
}
