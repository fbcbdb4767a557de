package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * The weight gradient as a transposed GEMM: dwT[tap][k] = sum over output positions q of
 * band[rowOffset[tap] + q] * dy[k][q], on the forward's band buffers ({@link BandLayout}; a unit-stride,
 * unpadded 1x1 convolution reads the input planes in place). The micro-tile ({@link Kernels#tileRowsA})
 * broadcasts one input value per tap and multiplies it into a vector of output channels, so the reduction
 * over q runs down its accumulators: no horizontal sums, whatever the plane size, and the register tile of
 * the forward GEMM. The output gradient is transposed into panels of nr channels, {@link #QC} positions at a
 * time (an L1-sized panel that all tap blocks of a task reuse).
 *
 * <p>Tasks own disjoint blocks of taps (whole micro-tile rows) of one group, accumulate their dwT block in a
 * buffer sized for L2 over all images and bands, then write it transposed into dw, so no two threads write the
 * same element and no reduction across threads is needed. The output gradient of several images is transposed
 * at once ({@link #imagesPerChunk}) and each task runs over those images in turn, so that its block stays in L2
 * between them (one image at a time, a 512-channel 3x3 layer's 9 MiB of dwT went through memory per image). Each element's sum runs over images, bands and
 * positions in the same order whatever the thread count, so results do not depend on it.
 */
final class TransposedWeightGradient {
    /** Output positions per transposed-gradient panel: QC x nr floats (32 KiB at nr = 32) stay in L1. */
    static final int QC = 256;
    /** Output positions per block of the dy transpose: 64 x nr floats (8 KiB at nr = 32) stay in L1. */
    static final int TRANSPOSE_COLUMNS = 64;
    /** A task's dwT block, at most this many floats (256 KiB): it stays in L2 while the bands stream by. */
    static final int BLOCK_FLOATS = 64 * 1024;
    /**
     * The transposed gradient of this many floats at most (4 MiB) holds several images at once
     * ({@link #imagesPerChunk}), at least one.
     */
    static final int CHUNK_FLOATS = 1 << 20;
    /** Side of the square blocks in which a task's dwT block is written transposed into dw. */
    static final int WRITE_BLOCK = 16;
    /** The largest scratch array this path allocates; larger problems use the dot-product blocks. */
    static final long MAX_FLOATS = Integer.MAX_VALUE / 2;

    private final Kernels kn;
    private final ParallelRunner runner;
    private final ArrayPool pool;
    private final String choice;
    private final int chunkFloats;

    /** choice: {@link ConvEngine#WEIGHT_GRADIENT_KEY}'s value ("dot" disables this path, "transposed" forces it). */
    TransposedWeightGradient(Kernels kn, ParallelRunner runner, ArrayPool pool, String choice) {
        this(kn, runner, pool, choice, CHUNK_FLOATS);
    }

    /** chunkFloats: the bound of {@link #imagesPerChunk} (tests compare one image per chunk with the batch). */
    TransposedWeightGradient(Kernels kn, ParallelRunner runner, ArrayPool pool, String choice, int chunkFloats) {
        this.kn = kn;
        this.runner = runner;
        this.pool = pool;
        this.choice = choice;
        this.chunkFloats = chunkFloats;
    }

    /**
     * This path's blocking of the geometry, or null when it does not suit it: the output channels of a group,
     * rounded up to whole panels of nr, must waste at most a quarter of the micro-tile's columns (fewer
     * channels use the dot-product blocks), and the scratch arrays must be addressable.
     */
    Plan plan(ConvGeometry g) {
        int nr = kn.nr();
        int kg = g.kPerGroup();
        int padded = Gemm.roundUp(kg, nr);
        if (choice.equals("dot") || !choice.equals("transposed") && (padded - kg) * 4 > padded) {
            return null;
        }
        Plan p = new Plan(g, kn.mr(), nr, runner.threads());
        boolean fits = p.qTotal >= 0 && (long) p.groups * p.qTotal * p.kgPad <= MAX_FLOATS
                && (long) p.groups * p.rowsPerGroup * p.kgPad <= MAX_FLOATS;
        return fits ? p : null;
    }

    void backwardFilter(Plan p, float[] x, float[] dy, float[] dw) {
        ConvGeometry g = p.g;
        if (g.n() == 0) {
            Arrays.fill(dw, 0, g.k() * g.cPerGroup() * g.kh() * g.kw(), 0f);
            return;
        }
        int perImage = p.groups * p.qTotal * p.kgPad;
        int chunk = imagesPerChunk(perImage, g.n(), chunkFloats);
        float[] dyT = pool.uninitialized(chunk * perImage);
        float[] dwT = pool.uninitialized(p.groups * p.rowsPerGroup * p.kgPad);
        try {
            int panels = p.kgPad / kn.nr();
            int units = p.unitStart.length - 1;
            int perChunkImage = p.groups * units * panels;
            for (int img0 = 0; img0 < g.n(); img0 += chunk) {
                int first = img0;
                int count = Math.min(chunk, g.n() - img0);
                runner.run(count * perChunkImage, idx -> {
                    int i = idx / perChunkImage;
                    int r = idx % perChunkImage;
                    transpose(p, dy, first + i, r / (units * panels), r / panels % units, r % panels, dyT,
                            i * perImage);
                });
                // each task runs its block over the chunk's images in order: a block stays in L2 across them, and
                // every element's sum still runs over images, bands and positions in the same order
                runner.run(p.groups * p.perGroup, idx -> {
                    for (int i = 0; i < count; i++) {
                        accumulate(p, x, dyT, i * perImage, first + i, idx / p.perGroup, idx % p.perGroup, dwT, dw);
                    }
                });
            }
        } finally {
            pool.give(dyT);
            pool.give(dwT);
        }
    }

    /**
     * Images whose transposed gradients are held at once (perImage floats each): as many as fit chunkFloats
     * ({@link #CHUNK_FLOATS}), at least one, at most n, and no more than the scratch arrays can address.
     */
    static int imagesPerChunk(int perImage, int n, int chunkFloats) {
        if (perImage <= 0) {
            return 1;
        }
        long fit = Math.max(1, chunkFloats / perImage);
        return (int) Math.max(1, Math.min(Math.min(fit, n), MAX_FLOATS / perImage));
    }

    /** The blocking of one call: bands, tap blocks, tasks and the offsets of the transposed gradient. */
    static final class Plan {
        final ConvGeometry g;
        final int groups;
        final int kd;
        final int kgPad;
        final int mr;
        final int nr;
        /** Unit-stride unpadded 1x1: the input planes are read in place, one unit per image. */
        final boolean inPlace;
        final BandLayout lay;
        /** Each tap's offset in the band (or, in place, in the group's input planes). */
        final int[] taps;
        /** Position offset of each unit (band x column band) in an image's transposed gradient, and the total. */
        final int[] unitStart;
        final int qTotal;
        final int blocks;
        final int rowsPerGroup;
        final int perGroup;
        /** Per task: the offsets of its taps, padded to whole micro-tile rows. */
        final int[][] taskTaps;

        Plan(ConvGeometry g, int mr, int nr, int threads) {
            this.g = g;
            this.mr = mr;
            this.nr = nr;
            groups = g.groups();
            int cg = g.cPerGroup();
            int kk = g.kh() * g.kw();
            kd = cg * kk;
            kgPad = Gemm.roundUp(g.kPerGroup(), nr);
            int plane = g.h() * g.w();
            inPlace = kk == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
            lay = inPlace ? null : new BandLayout(g, 0, 0, 1);
            taps = inPlace ? new int[kd] : lay.rowOffsets();
            if (inPlace) {
                for (int c = 0; c < cg; c++) {
                    taps[c] = c * plane;
                }
                unitStart = new int[] {0, g.outH() * g.outW()};
            } else {
                unitStart = new int[lay.bands * lay.colBands + 1];
                long sum = 0;
                for (int u = 0; u < unitStart.length - 1; u++) {
                    sum += qLen(u);
                    unitStart[u + 1] = (int) Math.min(sum, MAX_FLOATS + 1);
                }
            }
            // -1: too many positions for this path (see applies)
            qTotal = unitStart[unitStart.length - 1] > MAX_FLOATS ? -1 : unitStart[unitStart.length - 1];
            blocks = (kd + mr - 1) / mr;
            rowsPerGroup = blocks * mr;
            int blocksPerTask = Math.max(1, BLOCK_FLOATS / (mr * kgPad));
            perGroup = Math.min(blocks, Math.max((blocks + blocksPerTask - 1) / blocksPerTask,
                    (2 * threads + groups - 1) / groups));
            taskTaps = new int[perGroup][];
            for (int t = 0; t < perGroup; t++) {
                int j0 = firstTap(t);
                int j1 = endTap(t);
                // rows past the last tap repeat it: computed like the others and never written back
                int[] ro = new int[(t + 1) * blocks / perGroup * mr - j0];
                for (int i = 0; i < ro.length; i++) {
                    ro[i] = taps[Math.min(j0 + i, j1 - 1)];
                }
                taskTaps[t] = ro;
            }
        }

        /** Task t's first tap and the end of its taps (whole micro-tile rows of mr taps). */
        int firstTap(int t) {
            return t * blocks / perGroup * mr;
        }

        int endTap(int t) {
            return Math.min(kd, (t + 1) * blocks / perGroup * mr);
        }

        int rows(int u) {
            return inPlace ? g.outH() : Math.min(lay.bandRows, g.outH() - u / lay.colBands * lay.bandRows);
        }

        int cols(int u) {
            return inPlace ? g.outW() : Math.min(lay.colTile, g.outW() - u % lay.colBands * lay.colTile);
        }

        int wq() {
            return inPlace ? g.outW() : lay.wq;
        }

        /** Positions of unit u: its rows of wq, the last one only as far as its columns. */
        int qLen(int u) {
            int rows = rows(u);
            int cols = cols(u);
            return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * wq() + cols;
        }

        /** Offset in dy of unit u's first output, within one image and group. */
        int outputOffset(int u) {
            return inPlace ? 0 : u / lay.colBands * lay.bandRows * g.outW() + u % lay.colBands * lay.colTile;
        }
    }
    /**
     * dyT for unit u, panel p of one image and group: dyT[base + (q * nr) + j] = dy[p*nr + j][q] over the unit's
     * positions q = r*wq + col (output (oh0 + r, ow0 + col) for col < cols; junk positions and channels past kg
     * are zero), base = ((grp * qTotal + unitStart[u]) * kgPad) + p * nr * qLen.
     */
    private static void transpose(Plan p, float[] dy, int img, int grp, int u, int panel, float[] dyT, int dyTOff) {
        ConvGeometry g = p.g;
        int nr = p.nr;
        int kg = g.kPerGroup();
        int plane = g.outH() * g.outW();
        int ow = g.outW();
        int rows = p.rows(u);
        int cols = p.cols(u);
        int wq = p.wq();
        int qLen = p.qLen(u);
        int k0 = panel * nr;
        int kn = Math.min(nr, kg - k0);
        int base = dyTOff + (grp * p.qTotal + p.unitStart[u]) * p.kgPad + k0 * qLen;
        int src = (img * g.k() + grp * kg + k0) * plane + p.outputOffset(u);
        // channels past kg are zero; so are junk positions (the row's columns past cols), written row by row below
        if (kn < nr) {
            for (int q = 0; q < qLen; q++) {
                Arrays.fill(dyT, base + q * nr + kn, base + (q + 1) * nr, 0f);
            }
        }
        // planes a multiple of 4 KiB apart put one position's nr channels into one L1 set (conv1d's 4096 samples):
        // there, a block of a row channel by channel (sequential reads, writes within TRANSPOSE_COLUMNS x nr floats
        // of dyT); elsewhere position by position (nr reads from nr planes, contiguous writes), measured faster
        boolean aliased = plane % 1024 == 0;
        for (int r = 0; r < rows; r++) {
            int d = base + r * wq * nr;
            int s = src + r * ow;
            int end = r == rows - 1 ? cols : wq;
            if (aliased) {
                for (int c0 = 0; c0 < cols; c0 += TRANSPOSE_COLUMNS) {
                    int c1 = Math.min(cols, c0 + TRANSPOSE_COLUMNS);
                    for (int j = 0; j < kn; j++) {
                        int sj = s + j * plane;
                        int dj = d + j;
                        for (int col = c0; col < c1; col++) {
                            dyT[dj + col * nr] = dy[sj + col];
                        }
                    }
                }
            } else {
                for (int col = 0; col < cols; col++) {
                    int dc = d + col * nr;
                    for (int j = 0; j < kn; j++) {
                        dyT[dc + j] = dy[s + col + j * plane];
                    }
                }
            }
            if (end > cols) {
                Arrays.fill(dyT, d + cols * nr, d + end * nr, 0f);
            }
        }
    }

    /**
     * Task t of a group, one image: dwT[tap][k] += sum over the image's positions of band[tap][q] * dyT[q][k] for
     * the task's taps (zeroed at the first image; written transposed into dw after the last).
     */
    private void accumulate(Plan p, float[] x, float[] dyT, int dyTOff, int img, int grp, int t, float[] dwT,
                            float[] dw) {
        ConvGeometry g = p.g;
        int mr = p.mr;
        int nr = p.nr;
        int kgPad = p.kgPad;
        int kk = g.kh() * g.kw();
        int j0 = p.firstTap(t);
        int j1 = p.endTap(t);
        int[] ro = p.taskTaps[t];
        int rowsPad = ro.length;
        int accBase = (grp * p.rowsPerGroup + j0) * kgPad;
        if (img == 0) {
            Arrays.fill(dwT, accBase, accBase + rowsPad * kgPad, 0f);
        }
        int xOff = (img * g.c() + grp * g.cPerGroup()) * g.h() * g.w();
        Workspace ws = Workspace.get();
        for (int u = 0; u < p.unitStart.length - 1; u++) {
            int qLen = p.qLen(u);
            float[] src = x;
            int srcOff = xOff;
            if (!p.inPlace) {
                int oh0 = u / p.lay.colBands * p.lay.bandRows;
                int ow0 = u % p.lay.colBands * p.lay.colTile;
                src = p.lay.fill(kn, ws, x, xOff, oh0, ow0, j0 / kk, (j1 - 1) / kk + 1);
                srcOff = 0;
            }
            int unit = dyTOff + (grp * p.qTotal + p.unitStart[u]) * kgPad;
            for (int q0 = 0; q0 < qLen; q0 += QC) {
                int qc = Math.min(QC, qLen - q0);
                for (int k0 = 0; k0 < kgPad; k0 += nr) {
                    int b = unit + k0 * qLen + q0 * nr;
                    for (int i = 0; i < rowsPad; i += mr) {
                        kn.tileRowsA(qc, src, ro, i, srcOff + q0, dyT, b, dwT, accBase + i * kgPad + k0, kgPad, true);
                    }
                }
            }
        }
        if (img == g.n() - 1) {
            int kg = g.kPerGroup();
            int dwBase = grp * kg * p.kd;
            writeTransposed(dwT, accBase - j0 * kgPad, kgPad, dw, dwBase, p.kd, kg, j0, j1);
        }
    }

    /**
     * dw[dwBase + k * kd + j] = dwT[a + j * kgPad + k] for k < kg, j0 <= j < j1, in square blocks of {@link #WRITE_BLOCK}
     * through an L1 buffer: rows of dwT (and of dw) a power-of-two multiple of 1 KiB apart share a few L1 sets, so a
     * column of either, read or written element by element, misses L1 at every element once it spans more lines than
     * those sets hold (512 output channels: a 2 KiB stride, two sets).
     */
    static void writeTransposed(float[] dwT, int a, int kgPad, float[] dw, int dwBase, int kd, int kg, int j0, int j1) {
        int tb = WRITE_BLOCK;
        float[] block = new float[tb * tb];
        for (int jb = j0; jb < j1; jb += tb) {
            int jn = Math.min(tb, j1 - jb);
            for (int kb = 0; kb < kg; kb += tb) {
                int kn = Math.min(tb, kg - kb);
                for (int j = 0; j < jn; j++) {
                    int src = a + (jb + j) * kgPad + kb;
                    for (int k = 0; k < kn; k++) {
                        block[k * tb + j] = dwT[src + k];
                    }
                }
                for (int k = 0; k < kn; k++) {
                    System.arraycopy(block, k * tb, dw, dwBase + (kb + k) * kd + jb, jn);
                }
            }
        }
    }
}
