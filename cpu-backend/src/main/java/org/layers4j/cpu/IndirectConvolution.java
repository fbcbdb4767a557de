package org.layers4j.cpu;

import org.layers4j.spi.ConvGeometry;

/**
 * Convolutions without im2col: each task zero-pads a band of input rows of one image and group into a
 * private buffer once, and the micro-kernel then reads its B operand straight from that buffer
 * ({@link Kernels#tileRows}), one row per (channel, kh, kw) tap, shifted by the tap's offset. Outputs are
 * computed over flattened buffer rows, so a panel of nr outputs may straddle a row end; the few junk
 * columns (buffer width minus output width per row) are computed and dropped when the panel is copied
 * out. Strides are handled by storing the band as sh x sw polyphase planes (plane (a, b) holds padded
 * positions (i*sh + a, j*sw + b)): every tap then reads one plane at unit stride, so a strided convolution
 * is a unit-stride one over more, smaller planes. This turns the per-element gather of im2col (one copy
 * per 2 x Kg FLOPs) into one copy per input element and makes every convolution a register-blocked GEMM.
 */
final class IndirectConvolution {
    /** Depth block of a micro-kernel call, so B rows of one call stay in L1/L2 for very deep convolutions. */
    private static final int DEPTH_BLOCK = 1024;
    /** Panels of nr outputs computed into one tile before it is copied out (fewer, longer copies). */
    private static final int MAX_SPAN_PANELS = 8;
    /** Columns per pointwise task: B rows are read in place in chunks of at most this many outputs. */
    private static final int POINTWISE_CHUNK = 1024;
    /**
     * Input floats of a pointwise chunk (channels x columns) up to which each row block sweeps all the chunk's
     * panels before the next (256 KiB: L2), instead of all row blocks per panel: small-depth layers (16 -> 96
     * channels on 112 x 112) then store m output rows as sequential streams rather than every row per panel. That
     * matters most where the outputs miss the cache (batch 8: 24 -> 144 channels on 56 x 56 1.67 -> 1.22 ms, 64 -> 256
     * 7.7 -> 6.1, 2 threads; batch 1, 1 thread, unchanged within noise: docs/performance.md).
     */
    static final int ROW_BLOCKS_OUTER_FLOATS = 64 * 1024;
    /** Tuning override of {@link #ROW_BLOCKS_OUTER_FLOATS} (a system property, for A/B runs; 0: never). */
    static final String ROW_BLOCKS_OUTER_KEY = "layers4j.cpu.rowBlocksOuterFloats";
    /** Outputs per task of a {@link #matrixVector} product. */
    private static final int DOT_ROWS = 32;
    /** Packed weights at least this large are packed by all threads (a block of rows per task). */
    private static final int PARALLEL_PACK_FLOATS = 8192;

    /**
     * Tuning override of the batched pointwise path (a system property, for A/B runs): {@code auto} ({@link
     * BatchedPointwise#applies}) or {@code off} (one GEMM per image).
     */
    static final String POINTWISE_BATCH_KEY = "layers4j.cpu.pointwiseBatch";

    private final Kernels kn;
    private final ParallelRunner runner;
    private final BatchedPointwise batched;
    private final boolean batchPointwise;

    private final int rowBlocksOuterFloats;

    IndirectConvolution(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
        this.batched = new BatchedPointwise(kn, runner);
        String batch = System.getProperty(POINTWISE_BATCH_KEY, "auto").trim();
        if (!batch.equals("auto") && !batch.equals("off")) {
            throw new IllegalArgumentException(POINTWISE_BATCH_KEY + " must be auto or off, but got '" + batch + "'");
        }
        this.batchPointwise = batch.equals("auto");
        String v = System.getProperty(ROW_BLOCKS_OUTER_KEY, String.valueOf(ROW_BLOCKS_OUTER_FLOATS)).trim();
        try {
            this.rowBlocksOuterFloats = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(ROW_BLOCKS_OUTER_KEY + " must be an integer >= 0, but got '" + v + "'");
        }
        if (rowBlocksOuterFloats < 0) {
            throw new IllegalArgumentException(ROW_BLOCKS_OUTER_KEY + " must be an integer >= 0, but got " + v);
        }
    }

    /** y = conv(x, w) through the epilogue (bias, residual, activation), applied as each span of outputs is stored. */
    void forward(ConvGeometry g, float[] x, ConvWeights w, Epilogue ep, float[] y) {
        if (isPointwise(g)) {
            pointwise(g, x, null, w, ep, y);
            return;
        }
        if (isStridedPointwise(g)) {
            subsampled(g, x, w, ep, y);
            return;
        }
        int mr = kn.mr();
        int nr = kn.nr();
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int kd = cg * kk;
        RowBlocks blocks = RowBlocks.of(kg, kn);
        int kpad = blocks.kpad();
        int oh = g.outH();
        int ow = g.outW();
        int outer = g.n() * groups;
        ChannelParts split = ChannelParts.of(g, nr, blocks, outer, 2 * runner.threads());
        BandLayout lay = split.layout();
        int parts = split.parts();
        int wq = lay.wq;
        int colBands = lay.colBands;
        int bandRows = lay.bandRows;
        float[] a = w.panels(this, g, blocks, false);
        int[] rowOff = lay.rowOffsets();
        // panels computed before one scatter: about a band row, so that its copies run whole output rows
        int spanPanels = Math.max(1, Math.min(MAX_SPAN_PANELS, (wq + nr - 1) / nr));
        // row-aligned panels compute roundUp(cols, nr) columns per row, flattened ones wq (cols + junk)
        int perRow = Gemm.roundUp(lay.colTile, nr);
        boolean aligned = perRow <= wq && perRow <= MAX_SPAN_PANELS * nr;
        int rowsPerSpan = Math.max(1, MAX_SPAN_PANELS * nr / perRow);
        int tilesPerImage = lay.bands * colBands;
        int finalColTile = lay.colTile;
        FlatBand flat = tilesPerImage == 1 ? FlatBand.of(g, nr) : null;
        int bandColumns = aligned ? oh * perRow : Gemm.roundUp((oh - 1) * wq + ow, nr);
        if (flat != null && Gemm.roundUp(oh * ow, nr) < bandColumns) {
            flat(g, flat, blocks, split, a, ep, x, y);
            return;
        }
        runner.run(outer * tilesPerImage * parts, task -> {
            int part = task % parts;
            int idx = task / parts;
            int b0 = split.firstBlock(part);
            int b1 = split.firstBlock(part + 1);
            int k0 = split.firstChannel(blocks, part);
            int k1 = split.endChannel(blocks, kg, part);
            int t = idx % tilesPerImage;
            int band = t / colBands;
            int ow0 = (t % colBands) * finalColTile;
            int cols = Math.min(finalColTile, ow - ow0);
            int ng = idx / tilesPerImage;
            int grp = ng % groups;
            int img = ng / groups;
            int oh0 = band * bandRows;
            int rows = Math.min(bandRows, oh - oh0);
            Workspace ws = Workspace.get();
            // nr floats of slack: the last panel of a band reads up to nr - 1 floats past the last plane
            float[] buf = lay.fill(kn, ws, x, (img * g.c() + grp * cg) * g.h() * g.w(), oh0, ow0, 0, cg);
            int aGroup = grp * kpad * kd;
            int yBase = (img * g.k() + grp * kg) * oh * ow + oh0 * ow + ow0;
            if (aligned) {
                // no padding rows and whole panels per row, or whole rows of y (the last panel of a row then spills
                // perRow - cols junk values into the next row, which that row's own panels overwrite later): the
                // kernel stores straight into y (row stride = plane); only a spilling band's last panel needs a tile
                boolean spill = cols % nr != 0;
                boolean direct = kpad == kg && (!spill || cols == ow && perRow - cols <= ow);
                int span = rowsPerSpan * perRow;
                float[] out = direct ? y : ws.floats(Workspace.Slot.EDGE, kpad * span);
                int ld = direct ? oh * ow : span;
                boolean wholeRows = cols == ow;
                for (int r0 = 0; r0 < rows; r0 += rowsPerSpan) {
                    int rEnd = Math.min(rows, r0 + rowsPerSpan);
                    for (int r = r0; r < rEnd; r++) {
                        int at = direct ? yBase + r * ow : (r - r0) * perRow;
                        for (int c0 = 0; c0 < cols; c0 += nr) {
                            if (direct && spill && r == rows - 1 && c0 + nr > cols) {
                                throughTile(blocks, b0, b1, kd, a, aGroup, buf, rowOff, r * wq + c0, k1, cols - c0, y,
                                        at + c0, oh * ow, ws);
                            } else {
                                panel(blocks, b0, b1, kd, a, aGroup, buf, rowOff, r * wq + c0, out, at + c0, ld);
                            }
                        }
                    }
                    // copied out with the bias, or (direct) the bias added in place while the rows are in cache
                    for (int k = k0; k < k1; k++) {
                        int first = yBase + k * oh * ow + r0 * ow;
                        if (direct && wholeRows) {
                            if (ep.bias() != null) {
                                ep.store(y, first, grp * kg + k, y, first, (rEnd - r0) * ow, false);
                            }
                            continue;
                        }
                        for (int r = r0; r < rEnd; r++) {
                            int dst = first + (r - r0) * ow;
                            if (!direct) {
                                ep.store(out, k * span + (r - r0) * perRow, grp * kg + k, y, dst, cols, !wholeRows);
                            } else if (!ep.isCopy()) {
                                ep.store(y, dst, grp * kg + k, y, dst, cols, !wholeRows);
                            }
                        }
                    }
                }
                if (wholeRows) {
                    ep.finishTile(y, yBase + k0 * oh * ow, k1 - k0, oh * ow, rows, ow, cols);
                }
                return;
            }
            int span = spanPanels * nr;
            float[] tile = ws.floats(Workspace.Slot.EDGE, kpad * span);
            int qLen = (rows - 1) * wq + cols;
            for (int s0 = 0; s0 < qLen; s0 += span) {
                int end = Math.min(s0 + span, qLen);
                for (int q0 = s0; q0 < end; q0 += nr) {
                    panel(blocks, b0, b1, kd, a, aGroup, buf, rowOff, q0, tile, q0 - s0, span);
                }
                // the bias (and, without a residual, the activation) over the tile's computed panels in place:
                // whole vectors, one call per channel, junk columns included; then the runs are plain copies
                int computed = Gemm.roundUp(end - s0, nr);
                for (int k = k0; k < k1; k++) {
                    ep.applyInPlace(tile, k * span, computed, grp * kg + k);
                }
                scatter(tile, span, k0, k1, s0, end, wq, cols, ow, y, yBase, oh * ow);
            }
            if (!ep.completesInPlace()) {
                ep.finishTile(y, yBase + k0 * oh * ow, k1 - k0, oh * ow, rows, ow, cols);
            }
        });
    }

    /**
     * Row blocks [b0, b1) of one panel: tile[rb + i][at + j] = sum over taps d of A[rb + i][d] * buf[rowOff[d] + q0 + j]
     * (tile row stride {@code span}), in depth blocks of at most {@link #DEPTH_BLOCK} taps.
     */
    private void panel(RowBlocks blocks, int b0, int b1, int kd, float[] a, int aGroup, float[] buf, int[] rowOff, int q0,
                       float[] tile, int at, int span) {
        for (int b = b0; b < b1; b++) {
            int rb = blocks.start(b);
            int m = blocks.rows(b);
            for (int d0 = 0; d0 < kd; d0 += DEPTH_BLOCK) {
                kn.tileRowsOf(m, Math.min(DEPTH_BLOCK, kd - d0), a, aGroup + (rb * kd + d0 * m), buf, rowOff, d0, q0, tile,
                        rb * span + at, span, d0 > 0);
            }
        }
    }

    /**
     * The forward over a {@link FlatBand}, one task per image and group: panels of nr consecutive outputs of the
     * flat plane, stored straight into y (no padding rows) or through a tile, the last partial panel through a tile;
     * the epilogue applied in place per plane while it is in cache.
     */
    private void flat(ConvGeometry g, FlatBand flat, RowBlocks blocks, ChannelParts split, float[] a, Epilogue ep,
                      float[] x, float[] y) {
        int nr = kn.nr();
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kd = cg * g.kh() * g.kw();
        int kpad = blocks.kpad();
        int plane = g.outH() * g.outW();
        int[] rowOff = flat.rowOffsets();
        int parts = split.parts();
        runner.run(g.n() * groups * parts, task -> {
            int part = task % parts;
            int b0 = split.firstBlock(part);
            int b1 = split.firstBlock(part + 1);
            int k0 = split.firstChannel(blocks, part);
            int k1 = split.endChannel(blocks, kg, part);
            int ng = task / parts;
            int grp = ng % groups;
            int img = ng / groups;
            Workspace ws = Workspace.get();
            float[] buf = ws.floats(Workspace.Slot.COLUMNS, flat.size());
            flat.fill(x, (img * g.c() + grp * cg) * g.h() * g.w(), 0, cg, buf);
            int aGroup = grp * kpad * kd;
            int yBase = (img * g.k() + grp * kg) * plane;
            for (int q0 = 0; q0 < plane; q0 += nr) {
                int valid = Math.min(nr, plane - q0);
                if (valid == nr && kpad == kg) {
                    panel(blocks, b0, b1, kd, a, aGroup, buf, rowOff, q0, y, yBase + q0, plane);
                } else {
                    throughTile(blocks, b0, b1, kd, a, aGroup, buf, rowOff, q0, k1, valid, y, yBase + q0, plane, ws);
                }
            }
            if (!ep.isCopy()) {
                for (int k = k0; k < k1; k++) {
                    ep.store(y, yBase + k * plane, grp * kg + k, y, yBase + k * plane, plane);
                }
            }
        });
    }

    /**
     * Row blocks [b0, b1) of one panel through a tile, the first {@code valid} columns of rows [start(b0), kEnd)
     * copied to y (plane stride {@code plane}): a panel that
     * may not be stored in place (a spilling band's last one, a flat plane's partial last one, padding rows).
     */
    private void throughTile(RowBlocks blocks, int b0, int b1, int kd, float[] a, int aGroup, float[] buf, int[] rowOff,
                             int q0, int kEnd, int valid, float[] y, int at, int plane, Workspace ws) {
        int nr = kn.nr();
        float[] tile = ws.floats(Workspace.Slot.EDGE, blocks.kpad() * nr);
        panel(blocks, b0, b1, kd, a, aGroup, buf, rowOff, q0, tile, 0, nr);
        for (int k = blocks.start(b0); k < kEnd; k++) {
            System.arraycopy(tile, k * nr, y, at + k * plane, valid);
        }
    }

    /** An unpadded 1x1 convolution with a stride: it reads one input position in sh x sw. */
    static boolean isStridedPointwise(ConvGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.padH() == 0 && g.padW() == 0 && (g.strideH() > 1 || g.strideW() > 1);
    }

    /**
     * A strided unpadded 1x1 convolution (ResNet's downsampling shortcuts) is the unit-stride one over the input
     * positions it reads: those are gathered once into a call buffer of the output's plane size, then run as
     * {@link #pointwise}. The polyphase band would copy all sh x sw phases of every channel to use one.
     */
    private void subsampled(ConvGeometry g, float[] x, ConvWeights w, Epilogue ep, float[] y) {
        int oh = g.outH();
        int ow = g.outW();
        int sh = g.strideH();
        int sw = g.strideW();
        int h = g.h();
        int wi = g.w();
        int planes = g.n() * g.c();
        float[] xs = Workspace.get().floats(Workspace.Slot.SUBSAMPLED, planes * oh * ow);
        runner.run(planes, p -> {
            int src = p * h * wi;
            int dst = p * oh * ow;
            // one strided row at a time (at sw 2: two loads and a permute per vector, Kernels#gather)
            for (int r = 0; r < oh; r++) {
                kn.gather(ow, x, src + r * sh * wi, sw, xs, dst + r * ow);
            }
        });
        pointwise(new ConvGeometry(g.n(), g.c(), oh, ow, g.k(), 1, 1, 1, 1, 0, 0, 1, 1, g.groups()), xs, null, w, ep, y);
    }

    /**
     * A 1x1 convolution of 1 x 1 planes (squeeze-and-excitation's two layers) is a matrix-vector product per image
     * and group, the channels of a group one contiguous run: one dot product per output over the weights as stored
     * ({@link Kernels#dots}: a weight row against every image's input, each weight vector loaded once for two images),
     * in tasks of up to {@link #DOT_ROWS} weight rows, fewer where that leaves under four tasks per thread. The GEMM's
     * panels of nr positions would compute 1 useful column in nr.
     */
    private void matrixVector(ConvGeometry g, float[] x, float[] w, Epilogue ep, float[] y) {
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int n = g.n();
        int rows = DOT_ROWS;
        while (rows > 4 && (long) groups * ((kg + rows - 1) / rows) < 4L * runner.threads()) {
            rows /= 2;
        }
        int taskRows = rows;
        int chunks = (kg + rows - 1) / rows;
        runner.run(groups * chunks, idx -> {
            int k0 = idx % chunks * taskRows;
            int k1 = Math.min(kg, k0 + taskRows);
            int grp = idx / chunks;
            for (int k = k0; k < k1; k++) {
                int o = grp * kg + k;
                kn.dots(cg, w, o * cg, x, grp * cg, g.c(), n, y, o, g.k());
            }
            for (int img = 0; img < n; img++) {
                ep.storeChannels(y, img * g.k() + grp * kg + k0, grp * kg + k0, k1 - k0);
            }
        });
    }

    /** Whether this is a 1 x 1 convolution at stride 1 without padding, whose input rows the kernels read in place. */
    static boolean isPointwise(ConvGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    /**
     * An unpadded unit-stride 1x1 convolution is a plain GEMM per image and group whose B rows are the input
     * planes themselves: the micro-kernel reads them in place (no band copy; measured 1.25-1.9x faster than
     * copying, interleaved A/B runs) and writes whole row blocks straight into y. Tasks take chunks of the
     * flattened plane, or, when one image's plane is a chunk and the weights outweigh it, parts of the output
     * channels ({@link ChannelParts#firstBlock}); the last partial panel of a chunk goes through a packed copy so that
     * no read runs past the chunk (or the end of the array). With a {@code scale} (null: none; one value per image
     * and input channel, a squeeze-excitation's) each task multiplies the input chunk it reads into its scratch with
     * the element-wise multiply's kernel ({@link PointwiseKernels#scale}), so the products are that multiply's and the
     * scaled input is never stored as a whole.
     */
    /**
     * dst[r*plane + t] = x[r*plane + t] * scale[r] for r in [0, planes), with the element-wise multiply's kernel
     * ({@link PointwiseKernels#scale}), the planes in parallel.
     */
    void scalePlanes(int planes, int plane, float[] x, float[] scale, float[] dst) {
        runner.run(planes, r -> kn.pointwise().scale(plane, scale[r], x, r * plane, dst, r * plane));
    }

    void pointwise(ConvGeometry g, float[] x, float[] scale, ConvWeights w, Epilogue ep, float[] y) {
        if (g.h() * g.w() == 1) {
            float[] in = x;
            if (scale != null) {
                in = Workspace.get().floats(Workspace.Slot.SUBSAMPLED, g.n() * g.c());
                kn.pointwise().multiply(0, g.n() * g.c(), x, scale, in);
            }
            matrixVector(g, in, w.values(), ep, y);
            return;
        }
        if (batchPointwise && BatchedPointwise.applies(g, kn.nr())) {
            RowBlocks rowBlocks = RowBlocks.of(g.kPerGroup(), kn);
            batched.forward(g, x, scale, w.panels(this, g, rowBlocks, false), rowBlocks, ep, y);
            return;
        }
        int mr = kn.mr();
        int nr = kn.nr();
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        RowBlocks blocks = RowBlocks.of(kg, kn);
        int kpad = blocks.kpad();
        int plane = g.h() * g.w();
        int outer = g.n() * groups;
        int wanted = 4 * runner.threads();
        int chunk = Math.min(Gemm.roundUp(plane, nr), POINTWISE_CHUNK);
        int parts = 1;
        if (outer < wanted && chunk >= plane && blocks.count() >= 2 && (long) kpad * cg > (long) cg * plane) {
            // one image's plane in one chunk, and weights larger than it (ResNet-50's 7 x 7 and 14 x 14 layers at
            // batch 1: 4 MB of weights against 100 KB of input): split the output channels, so that the weights
            // are read once, rather than the positions, which reads all of them once per chunk
            parts = Math.min(blocks.count(), (wanted + outer - 1) / outer);
        } else {
            while (outer * ((plane + chunk - 1) / chunk) < wanted && chunk > nr) {
                chunk = Gemm.roundUp(chunk / 2, nr);
            }
        }
        if (scale != null && parts > 1) {
            // the tasks that split a chunk's output channels would each scale the same input: scale it once, in
            // one task per thread, and convolve the product
            float[] product = Workspace.get().floats(Workspace.Slot.SCALED_CALL, g.n() * g.c() * plane);
            scalePlanes(g.n() * g.c(), plane, x, scale, product);
            pointwise(g, product, null, w, ep, y);
            return;
        }
        ChannelParts split = new ChannelParts(null, parts, blocks.count());
        int chunks = (plane + chunk - 1) / chunk;
        int finalChunk = chunk;
        float[] a = w.panels(this, g, blocks, false);
        int[] rowOff = rowOffsets(cg, plane);
        // a scaled input is read from the task's scratch copy of its chunk: rows finalChunk apart, from the chunk's start
        int[] scaledRowOff = scale == null ? null : rowOffsets(cg, finalChunk);
        // a chunk's input rows small enough to stay in L1 / L2 while every row block reads them
        boolean rowBlocksOuter = (long) cg * finalChunk <= rowBlocksOuterFloats;
        runner.run(outer * chunks * parts, task -> {
            int part = task % split.parts();
            int b0 = split.firstBlock(part);
            int b1 = split.firstBlock(part + 1);
            int k0 = split.firstChannel(blocks, part);
            int k1 = split.endChannel(blocks, kg, part);
            int idx = task / split.parts();
            int p0 = (idx % chunks) * finalChunk;
            int p1 = Math.min(plane, p0 + finalChunk);
            int ng = idx / chunks;
            int grp = ng % groups;
            int img = ng / groups;
            int xBase = (img * g.c() + grp * cg) * plane;
            int yBase = (img * g.k() + grp * kg) * plane;
            int aGroup = grp * kpad * cg;
            Workspace ws = Workspace.get();
            float[] tile = ws.floats(Workspace.Slot.EDGE, kpad * nr);
            int pFull = p0 + (p1 - p0) / nr * nr;
            float[] src = x;
            int[] offs = rowOff;
            int srcBase = xBase;
            int stride = plane;
            if (scale != null) {
                src = ws.floats(Workspace.Slot.SCALED_INPUT, cg * finalChunk);
                int sBase = img * g.c() + grp * cg;
                for (int c = 0; c < cg; c++) {
                    kn.pointwise().scale(p1 - p0, scale[sBase + c], x, xBase + c * plane + p0, src, c * finalChunk);
                }
                offs = scaledRowOff;
                srcBase = -p0;
                stride = finalChunk;
            }
            if (rowBlocksOuter) {
                // each row block sweeps the chunk's panels: its m output rows are written as m sequential streams
                // (the input chunk, cg x chunk floats, stays in L1 / L2 between the row blocks)
                for (int b = b0; b < b1; b++) {
                    for (int q0 = p0; q0 < pFull; q0 += nr) {
                        pointwisePanel(blocks, b, kg, cg, a, aGroup, src, offs, srcBase + q0, y, yBase + q0, plane, tile);
                    }
                    // the epilogue of the block's rows while they are in L1
                    if (!ep.isCopy()) {
                        int rEnd = Math.min(kg, blocks.start(b) + blocks.rows(b));
                        for (int k = blocks.start(b); k < rEnd; k++) {
                            int at = yBase + k * plane;
                            ep.store(y, at + p0, grp * kg + k, y, at + p0, pFull - p0, true);
                        }
                    }
                }
            }
            for (int q0 = rowBlocksOuter ? pFull : p0; q0 < p1; q0 += nr) {
                int cols = Math.min(nr, p1 - q0);
                if (cols == nr) {
                    for (int b = b0; b < b1; b++) {
                        pointwisePanel(blocks, b, kg, cg, a, aGroup, src, offs, srcBase + q0, y, yBase + q0, plane, tile);
                    }
                } else {
                    float[] panel = ws.floats(Workspace.Slot.PACK_B, cg * nr);
                    new Packers.MatrixB(src, srcBase + q0, stride).pack(0, cols, 0, cg, nr, panel, 0);
                    for (int b = b0; b < b1; b++) {
                        int rb = blocks.start(b);
                        int m = blocks.rows(b);
                        kn.tileOf(m, cg, a, aGroup + rb * cg, panel, 0, tile, 0, nr, false);
                        for (int i = 0; i < Math.min(m, kg - rb); i++) {
                            ep.store(tile, i * nr, grp * kg + rb + i, y, yBase + (rb + i) * plane + q0, cols, false);
                        }
                    }
                }
            }
            // the bias of the whole panels written in place, then the residual and activation: one run of each
            // channel over the chunk (y and the residual contiguous), in L2. Per panel the bias was kg calls on nr
            // values, as costly as the GEMM itself where the depth is small (16 -> 96 channels on 112 x 112: 0.50 ->
            // 0.44 ms; 64 -> 256 on 56 x 56: 0.80 -> 0.62 ms, medians of three alternating runs, 2 threads)
            if (rowBlocksOuter) {
                if (ep.finishes() && pFull < p1) {
                    for (int k = k0; k < k1; k++) {
                        ep.finish(y, yBase + k * plane + pFull, yBase + k * plane + p1);
                    }
                }
            } else if (ep.bias() != null) {
                for (int k = k0; k < k1; k++) {
                    int at = yBase + k * plane;
                    ep.store(y, at + p0, grp * kg + k, y, at + p0, pFull - p0, true);
                    if (ep.finishes() && pFull < p1) {
                        ep.finish(y, at + pFull, at + p1);
                    }
                }
            } else if (ep.finishes()) {
                for (int k = k0; k < k1; k++) {
                    ep.finish(y, yBase + k * plane + p0, yBase + k * plane + p1);
                }
            }
        });
    }


    /** {0, stride, 2 * stride, ...}: the offsets of {@code rows} rows {@code stride} apart. */
    private static int[] rowOffsets(int rows, int stride) {
        int[] off = new int[rows];
        for (int r = 0; r < rows; r++) {
            off[r] = r * stride;
        }
        return off;
    }

    /** Row block b of one full panel of a pointwise chunk, written in place (rows past kg through {@code tile}). */
    private void pointwisePanel(RowBlocks blocks, int b, int kg, int cg, float[] a, int aGroup, float[] x, int[] rowOff,
                                int xOff, float[] y, int yOff, int plane, float[] tile) {
        int rb = blocks.start(b);
        int m = blocks.rows(b);
        if (rb + m <= kg) {
            kn.tileRowsOf(m, cg, a, aGroup + rb * cg, x, rowOff, 0, xOff, y, yOff + rb * plane, plane, false);
            return;
        }
        int nr = kn.nr();
        kn.tileRowsOf(m, cg, a, aGroup + rb * cg, x, rowOff, 0, xOff, tile, 0, nr, false);
        for (int i = 0; i < kg - rb; i++) {
            // the epilogue of these rows is applied with the in-place rows'
            System.arraycopy(tile, i * nr, y, yOff + (rb + i) * plane, nr);
        }
    }

    /**
     * The weights as micro-kernel A panels, per group, in the calling thread's workspace: row block b
     * ({@link RowBlocks}, start rb, m rows) at {@code a[grp*kpad*kd + rb*kd + d*m + i]} holds weight row rb + i (zero
     * past kg) at depth d; in tap-major order when {@code tapMajor}: packed depth index tap*cg + c holds weight
     * (c, tap), so that the channels of one tap (and of a run of taps) are one contiguous depth range
     * ({@link Im2colConvolution}'s position classes). Large weights are packed by all threads, a block of rows per task.
     */
    float[] packWeights(ConvGeometry g, float[] w, RowBlocks blocks, boolean tapMajor) {
        float[] a = Workspace.get().floats(Workspace.Slot.PACKED_WEIGHTS, g.groups() * blocks.kpad() * g.cPerGroup()
                * g.kh() * g.kw());
        packWeights(g, w, blocks, tapMajor, a);
        return a;
    }

    /** {@link #packWeights(ConvGeometry, float[], RowBlocks, boolean)} into {@code a}. */
    void packWeights(ConvGeometry g, float[] w, RowBlocks blocks, boolean tapMajor, float[] a) {
        int cg = g.cPerGroup();
        int kk = g.kh() * g.kw();
        int kg = g.kPerGroup();
        int kd = g.cPerGroup() * g.kh() * g.kw();
        int kpad = blocks.kpad();
        int count = blocks.count();
        ParallelRunner.Task packBlock = idx -> {
            int grp = idx / count;
            int rb = blocks.start(idx % count);
            int m = blocks.rows(idx % count);
            int block = grp * kpad * kd + rb * kd;
            for (int i = 0; i < m; i++) {
                int row = rb + i;
                if (row < kg) {
                    int src = (grp * kg + row) * kd;
                    if (tapMajor) {
                        for (int t = 0; t < kk; t++) {
                            for (int c = 0; c < cg; c++) {
                                a[block + (t * cg + c) * m + i] = w[src + c * kk + t];
                            }
                        }
                    } else {
                        for (int d = 0; d < kd; d++) {
                            a[block + d * m + i] = w[src + d];
                        }
                    }
                } else {
                    for (int d = 0; d < kd; d++) {
                        a[block + d * m + i] = 0f;
                    }
                }
            }
        };
        if ((long) g.groups() * kpad * kd >= PARALLEL_PACK_FLOATS) {
            runner.run(g.groups() * count, packBlock);
        } else {
            for (int idx = 0; idx < g.groups() * count; idx++) {
                packBlock.run(idx);
            }
        }
    }

    /**
     * The inverse of {@link #packWeights}: the weights [k][c / groups][kh][kw] that panels {@code a} of {@code g}
     * and {@code blocks} were packed from, written to {@code w} (the padding rows are dropped). For prepared weights
     * whose values were let go once packed, when a path needs them again.
     */
    static void unpackWeights(ConvGeometry g, float[] a, RowBlocks blocks, boolean tapMajor, float[] w) {
        int cg = g.cPerGroup();
        int kk = g.kh() * g.kw();
        int kg = g.kPerGroup();
        int kd = cg * kk;
        int kpad = blocks.kpad();
        for (int grp = 0; grp < g.groups(); grp++) {
            for (int idx = 0; idx < blocks.count(); idx++) {
                int rb = blocks.start(idx);
                int m = blocks.rows(idx);
                int block = grp * kpad * kd + rb * kd;
                for (int i = 0; i < m && rb + i < kg; i++) {
                    int dst = (grp * kg + rb + i) * kd;
                    if (tapMajor) {
                        for (int t = 0; t < kk; t++) {
                            for (int c = 0; c < cg; c++) {
                                w[dst + c * kk + t] = a[block + (t * cg + c) * m + i];
                            }
                        }
                    } else {
                        for (int d = 0; d < kd; d++) {
                            w[dst + d] = a[block + d * m + i];
                        }
                    }
                }
            }
        }
    }

    /**
     * Copies the valid outputs of channels [k0, k1) of a span of panels (flattened band columns q0 .. end,
     * {@code cols} valid per band row of {@code wp}; tile row stride {@code nr}) from the tile to y (row stride ow),
     * dropping the junk columns: the tile holds them with their epilogue applied ({@link Epilogue#applyInPlace}).
     */
    private static void scatter(float[] tile, int nr, int k0, int k1, int q0, int end, int wp, int cols, int ow,
                                float[] y, int yBase, int plane) {
        int q = q0;
        while (q < end) {
            int r = q / wp;
            int col = q - r * wp;
            if (col >= cols) {
                q += wp - col;
                continue;
            }
            int run = Math.min(cols - col, end - q);
            int dst = yBase + r * ow + col;
            for (int k = k0; k < k1; k++) {
                System.arraycopy(tile, k * nr + (q - q0), y, dst + k * plane, run);
            }
            q += run;
        }
    }
}
