package org.layers4j.cpu;

/**
 * Plain-Java kernels, used when the JVM runs without jdk.incubator.vector. The micro-tile keeps its
 * 4 x 16 accumulators in a local array the JIT can keep in registers or L1 and auto-vectorize across
 * the 16 columns; correctness, not speed, is the point of this path.
 */
final class ScalarKernels implements Kernels {
    private static final int MR = 4;
    private static final int NR = 16;
    /** The short tile's rows: exercises the short row blocks ({@link RowBlocks}) on this path too. */
    private static final int SHORT_MR = 2;

    private final PointwiseKernels pointwise = new ScalarPointwise();

    @Override
    public PointwiseKernels pointwise() {
        return pointwise;
    }

    @Override
    public String description() {
        return "scalar fallback (jdk.incubator.vector not enabled), micro-tile " + MR + "x" + NR;
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void tile(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
        tile(MR, kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
    }

    @Override
    public int shortMr() {
        return SHORT_MR;
    }

    @Override
    public void tileShort(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                          boolean accumulate) {
        tile(SHORT_MR, kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
    }

    @Override
    public void tileRowsShort(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c,
                              int cOff, int ldc, boolean accumulate) {
        tileRows(SHORT_MR, kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
    }

    /** The packed-B tile on m rows (A panel stride m). */
    private static void tile(int m, int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                             boolean accumulate) {
        float[] acc = new float[m * NR];
        if (accumulate) {
            for (int i = 0; i < m; i++) {
                System.arraycopy(c, cOff + i * ldc, acc, i * NR, NR);
            }
        }
        for (int k = 0; k < kc; k++) {
            int bo = bOff + k * NR;
            int ao = aOff + k * m;
            for (int i = 0; i < m; i++) {
                float av = a[ao + i];
                int ro = i * NR;
                for (int j = 0; j < NR; j++) {
                    acc[ro + j] += av * b[bo + j];
                }
            }
        }
        for (int i = 0; i < m; i++) {
            System.arraycopy(acc, i * NR, c, cOff + i * ldc, NR);
        }
    }

    @Override
    public void tileRowsA(int kc, float[] x, int[] rowOff, int rOff, int xOff, float[] b, int bOff, float[] c, int cOff,
                          int ldc, boolean accumulate) {
        float[] acc = new float[MR * NR];
        if (accumulate) {
            for (int i = 0; i < MR; i++) {
                System.arraycopy(c, cOff + i * ldc, acc, i * NR, NR);
            }
        }
        for (int i = 0; i < MR; i++) {
            int xo = rowOff[rOff + i] + xOff;
            int ro = i * NR;
            for (int q = 0; q < kc; q++) {
                float av = x[xo + q];
                int bo = bOff + q * NR;
                for (int j = 0; j < NR; j++) {
                    acc[ro + j] += av * b[bo + j];
                }
            }
        }
        for (int i = 0; i < MR; i++) {
            System.arraycopy(acc, i * NR, c, cOff + i * ldc, NR);
        }
    }

    @Override
    public void tileRows(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff,
                         int ldc, boolean accumulate) {
        tileRows(MR, kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
    }

    /** The in-place-B tile on m rows (A panel stride m). */
    private static void tileRows(int m, int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff,
                                 float[] c, int cOff, int ldc, boolean accumulate) {
        float[] acc = new float[m * NR];
        if (accumulate) {
            for (int i = 0; i < m; i++) {
                System.arraycopy(c, cOff + i * ldc, acc, i * NR, NR);
            }
        }
        for (int k = 0; k < kc; k++) {
            int bo = rowOff[rOff + k] + xOff;
            int ao = aOff + k * m;
            for (int i = 0; i < m; i++) {
                float av = a[ao + i];
                int ro = i * NR;
                for (int j = 0; j < NR; j++) {
                    acc[ro + j] += av * x[bo + j];
                }
            }
        }
        for (int i = 0; i < m; i++) {
            System.arraycopy(acc, i * NR, c, cOff + i * ldc, NR);
        }
    }

    @Override
    public void tapDots(int len, float[] a, int aOff, float[] x, int xBase, int[] tapOff, int nTaps, float[] out,
                        int outOff) {
        for (int i = 0; i < nTaps; i++) {
            out[outOff + i] += dot(len, a, aOff, x, xBase + tapOff[i]);
        }
    }

    @Override
    public void tapDots3x3(int len, float[] d, int dOff, int ds, float[] x, int xOff, int xs, float[] acc, int accOff) {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                float s = acc[accOff + i * 3 + j];
                for (int p = 0; p < len; p++) {
                    s += d[dOff + p + (2 - i) * ds] * x[xOff + j * xs + p];
                }
                acc[accOff + i * 3 + j] = s;
            }
        }
    }

    @Override
    public void taps(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps, float[] out, int outOff) {
        for (int t = 0; t < len; t++) {
            out[outOff + t] = 0f;
        }
        for (int i = 0; i < nTaps; i++) {
            float wi = w[wOff + i];
            int xo = xBase + tapOff[i];
            for (int t = 0; t < len; t++) {
                out[outOff + t] += wi * x[xo + t];
            }
        }
    }

    @Override
    public void dotTileLanes(int len, float[] a, int aOff, int lda, float[] b, int[] bOff, int bIdx, float[] acc,
                             int accOff) {
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                acc[accOff + i * 4 + j] += dot(len, a, aOff + i * lda, b, bOff[bIdx + j]);
            }
        }
    }

    @Override
    public int lanes() {
        return 1;
    }

    @Override
    public void laneRowDots(int channels, int cols, float[] x, int xOff, int xStride, float[] d, int dOff, float[] acc,
                            int accOff, int accStride) {
        for (int c = 0; c < channels; c++) {
            int a = accOff + c * accStride;
            for (int s = 0; s < 3; s++) {
                float sum = acc[a + s];
                for (int j = 0; j < cols; j++) {
                    sum += x[xOff + c * xStride + j] * d[dOff + j - s];
                }
                acc[a + s] = sum;
            }
        }
    }

    @Override
    public int dotBlockLength() {
        return 1;
    }

    @Override
    public float sum(int len, float[] x, int xOff) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            s0 += x[xOff + t];
            s1 += x[xOff + t + 1];
            s2 += x[xOff + t + 2];
            s3 += x[xOff + t + 3];
        }
        for (; t < len; t++) {
            s0 += x[xOff + t];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        for (int t = 0; t < len; t++) {
            y[yOff + t] += alpha * x[xOff + t];
        }
    }

    @Override
    public float dot(int len, float[] x, int xOff, float[] y, int yOff) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int t = 0;
        for (; t + 4 <= len; t += 4) {
            s0 += x[xOff + t] * y[yOff + t];
            s1 += x[xOff + t + 1] * y[yOff + t + 1];
            s2 += x[xOff + t + 2] * y[yOff + t + 2];
            s3 += x[xOff + t + 3] * y[yOff + t + 3];
        }
        for (; t < len; t++) {
            s0 += x[xOff + t] * y[yOff + t];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
