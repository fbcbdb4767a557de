package org.layers4j.cpu;

import java.util.Locale;

/**
 * The innermost loops of the CPU backend, in two interchangeable implementations: {@link VectorKernels}
 * (jdk.incubator.vector) and {@link ScalarKernels} (plain Java). Everything above this interface
 * (packing, blocking, threading) is shared, so both produce the same blocking and summation order up to
 * the order of additions inside a micro-tile. The implementation is chosen once per backend; the vector
 * class is only loaded by reflection after the module has been found in the boot layer, so a JVM without
 * {@code --add-modules jdk.incubator.vector} never touches it.
 */
interface Kernels {
    /** Configuration key selecting the kernels: {@code auto} (default), {@code vector} or {@code scalar}. */
    String KERNELS_KEY = "layers4j.cpu.kernels";

    /** Human-readable description for logs and {@code layers4j info}. */
    String description();

    /** Rows of the register-blocked micro-tile. */
    int mr();

    /** Columns of the register-blocked micro-tile (a multiple of the vector length). */
    int nr();

    /**
     * C[mr x nr] = (accumulate ? C : 0) + A-panel x B-panel, where the A panel holds {@code kc} columns of
     * mr values ({@code a[aOff + k*mr + i]}) and the B panel {@code kc} rows of nr values
     * ({@code b[bOff + k*nr + j]}); C has row stride {@code ldc}.
     */
    void tile(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate);

    /**
     * Like {@link #tile}, but B is read in place from rows of {@code x}: B row k is the nr floats at
     * {@code x[rowOff[rOff + k] + xOff ...]}. This is the indirect (shifted-plane) convolution: with x a
     * zero-padded input and rowOff the offset of each (channel, kh, kw) tap, it needs no im2col copy.
     */
    void tileRows(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff, int ldc,
                  boolean accumulate);

    /**
     * Rows of the short micro-tile ({@link #tileShort}, {@link #tileRowsShort}): the last row blocks of weights
     * whose row count is not a multiple of mr use it to compute fewer padding rows ({@link RowBlocks}). Equal to
     * {@link #mr()} when the kernels have no short tile.
     */
    int shortMr();

    /** {@link #tile} on shortMr() rows: the A panel holds kc columns of shortMr values. */
    void tileShort(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate);

    /** {@link #tileRows} on shortMr() rows: the A panel holds kc columns of shortMr values. */
    void tileRowsShort(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff,
                       int ldc, boolean accumulate);

    /**
     * dst[d + i] = x[src + i * stride] for i in [0, n): one row of a stride phase (a polyphase band, the phase planes
     * of a strided depthwise convolution). Plain data movement: every implementation gives the same values.
     */
    default void gather(int n, float[] x, int src, int stride, float[] dst, int d) {
        for (int i = 0; i < n; i++, src += stride) {
            dst[d + i] = x[src];
        }
    }

    /**
     * even[eOff + i] = x[src + 2i] and odd[oOff + i] = x[src + 2i + 1] for i in [0, n): a row's two stride-2 phases in
     * one pass over it (the phase planes of a strided depthwise convolution, a pooling row's phases). Plain data
     * movement: every implementation gives the same values.
     */
    default void deinterleave(int n, float[] x, int src, float[] even, int eOff, float[] odd, int oOff) {
        for (int i = 0; i < n; i++, src += 2) {
            even[eOff + i] = x[src];
            odd[oOff + i] = x[src + 1];
        }
    }

    /**
     * dst[dOff + r * dStride + j] = x[xOff + r * w + j] for r in [0, rows), j in [0, w): a plane's rows into a
     * zero-padded plane (dStride &gt;= w). Cells of dst outside those rows' interiors, up to lanes() past the last
     * row's start, may be written with zeros (whole-vector stores): the caller's padding, which is zero already, or
     * interiors of later rows, written after. Plain data movement: every implementation gives the same values.
     */
    default void padRows(float[] x, int xOff, int rows, int w, float[] dst, int dOff, int dStride) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x, xOff + r * w, dst, dOff + r * dStride, w);
        }
    }

    /**
     * y[yOff + r * cols + j] = src[sOff + r * sStride + j] for r in [0, rows), j in [0, cols): rows packed into one
     * run of y. Writes nothing outside [yOff, yOff + rows * cols); cells of that run past a row may be written with
     * junk before their own row is stored. Plain data movement: every implementation gives the same values.
     */
    default void packRows(float[] src, int sOff, int sStride, int rows, int cols, float[] y, int yOff) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, sOff + r * sStride, y, yOff + r * cols, cols);
        }
    }

    /** {@link #tile} or {@link #tileShort} for a row block of {@code rows} = mr() or shortMr() rows. */
    default void tileOf(int rows, int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                        boolean accumulate) {
        if (rows == mr()) {
            tile(kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
        } else {
            tileShort(kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
        }
    }

    /** {@link #tileRows} or {@link #tileRowsShort} for a row block of {@code rows} = mr() or shortMr() rows. */
    default void tileRowsOf(int rows, int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        if (rows == mr()) {
            tileRows(kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
        } else {
            tileRowsShort(kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
        }
    }

    /**
     * C[mr x nr] = (accumulate ? C : 0) + A B, where A's row i is read in place from {@code x}, at
     * {@code x[rowOff[rOff + i] + xOff + q]} for q in [0, kc), and B is a panel of kc rows of nr values
     * ({@code b[bOff + q*nr + j]}); C has row stride {@code ldc}. The transposed weight gradient: A = shifted
     * input rows (one per tap), B = the output gradient transposed, so no lane reductions are needed.
     */
    void tileRowsA(int kc, float[] x, int[] rowOff, int rOff, int xOff, float[] b, int bOff, float[] c, int cOff,
                   int ldc, boolean accumulate);

    /**
     * out[outOff + t] = sum over taps i of w[wOff + i] * x[xBase + tapOff[i] + t], for t in [0, len): a direct
     * convolution over a flattened, pre-padded plane (depthwise kernels).
     */
    void taps(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps, float[] out, int outOff);

    /**
     * {@link #taps} into scratch: {@code out} may also be written past len (up to a whole vector, where out and x
     * have the room), so the last partial vector of outputs runs in vector lanes instead of a scalar loop. Every
     * output in [0, len) has the bits {@link #taps} gives it.
     */
    default void tapsToScratch(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps,
                               float[] out, int outOff) {
        taps(len, x, xBase, tapOff, w, wOff, nTaps, out, outOff);
    }

    /**
     * Channels per call of {@link #depthwiseRow}, the channel-blocked depthwise kernel; 0 where these kernels have none
     * (the scalar family, whose depthwise convolutions run plane by plane through {@link #taps}).
     */
    default int depthwiseLanes() {
        return 0;
    }

    /**
     * d[dOff + rows[rowsOff + i] + j] = x[xOff + j*xStride + i] for i, j in [0, {@link #depthwiseLanes()}): a square
     * block transposed, row i of the result stored where rows says (channel planes to channel-interleaved positions
     * and back, {@link BlockedDepthwise}). Plain data movement: every implementation gives the same values.
     */
    default void transpose(float[] x, int xOff, int xStride, float[] d, int dOff, int[] rows, int rowsOff) {
        int n = depthwiseLanes();
        for (int i = 0; i < n; i++) {
            int at = dOff + rows[rowsOff + i];
            for (int j = 0; j < n; j++) {
                d[at + j] = x[xOff + j * xStride + i];
            }
        }
    }

    /**
     * d[dOff + slots[p] + l] = x[xOff + l*xStride + p] for positions p in [from, to) and l in [0, {@link
     * #depthwiseLanes()}): positions of that many planes (xStride apart) copied channel-interleaved, in {@link
     * #transpose}d blocks where a whole block of positions remains, the last few one by one.
     */
    default void interleave(float[] x, int xOff, int xStride, int from, int to, float[] d, int dOff, int[] slots) {
        int lanes = depthwiseLanes();
        int p = from;
        for (; p + lanes <= to; p += lanes) {
            transpose(x, xOff + p, xStride, d, dOff, slots, p);
        }
        for (; p < to; p++) {
            for (int l = 0; l < lanes; l++) {
                d[dOff + slots[p] + l] = x[xOff + l * xStride + p];
            }
        }
    }

    /**
     * One output row of a depthwise convolution over channel-interleaved data, L = {@link #depthwiseLanes()} channels
     * at once ({@link BlockedDepthwise}): out[outOff + q*L + l] = the sum over taps t in order of
     * w[t*L + l] * x[xOff + q*colStep + tapOff[t] + l], then plus bias[bOff + l] (one rounding; bias null: none), for
     * q in [0, ow), l in [0, L). The sum is one fused multiply-add per tap from zero for q &lt; fusedEnd, and a product
     * then a sum per tap from q = fusedEnd on: the two ways {@link #tapsToScratch} forms a plane's outputs (in whole
     * vectors, then in its last partial vector), so each lane has the bits of that channel's plane path. kw &gt; 0 says
     * that the taps come in kernel rows of kw, each tap L floats after the one before it (unit dilation across a row),
     * so that a kernel may load each input vector once per kernel row; 0: no such structure.
     */
    default void depthwiseRow(int ow, int fusedEnd, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, int kw,
                              float[] w, float[] bias, int bOff, float[] out, int outOff) {
        throw new UnsupportedOperationException("no channel-blocked depthwise kernel in " + description());
    }

    /**
     * out[outOff + i] += sum over t in [0, len) of a[aOff + t] * x[xBase + tapOff[i] + t], for i in [0, nTaps): the
     * dots of one row with several shifted rows of a plane (depthwise weight gradient), each in float32 lanes.
     */
    void tapDots(int len, float[] a, int aOff, float[] x, int xBase, int[] tapOff, int nTaps, float[] out, int outOff);

    /**
     * For i, j in [0, 3) and lanes l in [0, lanes()): acc[accOff + (i*3 + j)*lanes() + l] += the sum over p in [0, len)
     * with p % lanes() == l of d[dOff + p + (2 - i)*ds] * x[xOff + j*xs + p]: the nine taps of a unit-stride 3 x 3
     * depthwise weight gradient over three shifted input planes (row offsets i*ds inside each), without horizontal
     * sums. Each input vector serves three taps and each gradient vector three, 6 loads per 9 FMAs. len must be a
     * multiple of lanes().
     */
    void tapDots3x3(int len, float[] d, int dOff, int ds, float[] x, int xOff, int xs, float[] acc, int accOff);

    /**
     * out[outOff + i*ldo + j] += sum over t in [0, len) of a[aOff + i*lda + t] * b[bOff[bIdx + j] + t], for
     * i in [0, 4) and j in [0, 4): a 4 x 4 block of dot products with the reduction along the vector lanes,
     * both operands read in place (weight gradient: a = output-gradient rows, b = shifted input rows).
     * {@code len} must be a multiple of {@link #dotBlockLength()}; callers zero-pad the a rows. One
     * {@link #dotTileLanes} call and its horizontal sums (the weight gradient calls that directly).
     */
    default void dotTile(int len, float[] a, int aOff, int lda, float[] b, int[] bOff, int bIdx, float[] out,
                         int outOff, int ldo) {
        int blk = dotBlockLength();
        float[] lanes = new float[16 * blk];
        dotTileLanes(len, a, aOff, lda, b, bOff, bIdx, lanes, 0);
        for (int e = 0; e < 16; e++) {
            out[outOff + e / 4 * ldo + e % 4] += sum(blk, lanes, e * blk);
        }
    }

    /**
     * {@link #dotTile} without the horizontal sums: each of the 16 dot products adds its dotBlockLength()
     * lanes of partial sums into {@code acc[accOff + (i*4 + j)*dotBlockLength() + lane]}, so that callers
     * that accumulate over many short rows reduce the lanes once at the end.
     */
    void dotTileLanes(int len, float[] a, int aOff, int lda, float[] b, int[] bOff, int bIdx, float[] acc, int accOff);

    /** The granule of {@link #dotTile}'s length. */
    int dotBlockLength();

    /** Floats per vector (1 for the scalar kernels): the output channels {@link #laneRowDots} holds in one vector. */
    int lanes();

    /**
     * For channels c in [0, channels) (1 to 3), kernel columns s in [0, 3) and lanes l in [0, lanes()):
     * acc[accOff + c*accStride + s*lanes() + l] += sum over j in [0, cols) of
     * x[xOff + c*xStride + j] * d[dOff + (j - s)*lanes() + l]. One input row of up to three channels against a
     * row of the output gradient laid out with a group's output channels in the lanes ({@link LaneWeightGradient}):
     * the weight gradient of a unit-stride kernel row of width 3, without horizontal sums. d must hold two
     * vectors before dOff.
     */
    void laneRowDots(int channels, int cols, float[] x, int xOff, int xStride, float[] d, int dOff, float[] acc,
                     int accOff, int accStride);

    /** Sum of x[xOff + t] for t in [0, len), accumulated in float32 lanes. */
    float sum(int len, float[] x, int xOff);

    /** y[yOff + t] += alpha * x[xOff + t] for t in [0, len). */
    void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff);

    /** Sum over t in [0, len) of x[xOff + t] * y[yOff + t], accumulated in float32. */
    float dot(int len, float[] x, int xOff, float[] y, int yOff);

    /**
     * out[outOff + i * outStride] = {@link #dot}(len, w, wOff, x, xOff + i * xStride) for i in [0, count), each with
     * dot's bits: one weight row against the inputs of several images (vector kernels load each weight vector once
     * for two of them).
     */
    default void dots(int len, float[] w, int wOff, float[] x, int xOff, int xStride, int count, float[] out, int outOff,
                      int outStride) {
        for (int i = 0; i < count; i++) {
            out[outOff + i * outStride] = dot(len, w, wOff, x, xOff + i * xStride);
        }
    }

    /** The element-wise and row kernels of the same family. */
    PointwiseKernels pointwise();

    /** Whether jdk.incubator.vector is resolved in the boot layer of this JVM. */
    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The kernels for a setting of {@link #KERNELS_KEY}: {@code vector} requires the module, {@code auto}
     * uses it when present and falls back to scalar otherwise.
     */
    static Kernels select(String setting) {
        String s = setting.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "scalar":
                return new ScalarKernels();
            case "vector":
                if (!vectorModulePresent()) {
                    throw new IllegalStateException(KERNELS_KEY + "=vector needs the JVM flag --add-modules jdk.incubator.vector");
                }
                return loadVector();
            case "auto":
                if (vectorModulePresent()) {
                    return loadVector();
                }
                org.slf4j.LoggerFactory.getLogger(Kernels.class).warn("layers4j cpu backend: the Vector API is not"
                        + " available, so the scalar kernels run (about 25x slower). Fix: start the JVM with"
                        + " --add-modules jdk.incubator.vector (or set {}=scalar to choose them and silence this)",
                        KERNELS_KEY);
                return new ScalarKernels();
            default:
                throw new IllegalArgumentException(KERNELS_KEY + " must be auto, vector or scalar, but got '" + setting + "'");
        }
    }

    private static Kernels loadVector() {
        try {
            // reflection keeps the vector classes out of the constant pool of everything loaded without the module
            return (Kernels) Class.forName("org.layers4j.cpu.VectorKernels").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("cannot load the Vector API kernels: " + e, e);
        }
    }
}
