package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * A pointwise (unpadded unit-stride 1 x 1) convolution of a batch of small planes as one GEMM whose columns are the
 * positions of all images in a row, where {@link IndirectConvolution#pointwise} runs one GEMM per image: a 7 x 7 plane
 * is 49 columns, two panels of 32 with 15 lanes idle (23 % of the tiles' work wasted). Here only the batch's last
 * panel has idle lanes. A panel that spans two images is packed ({@link
 * #pack}: each image's run of every input channel copied, or multiplied by its squeeze-excitation scale with the
 * element-wise multiply's kernel), then every row block of weights runs over the packed panels of a chunk with the
 * same micro-kernel and depth as the per-image path ({@link Kernels#tileOf}: each output one accumulation over the
 * input channels in order), the tiles are copied into y, and once a row block has swept the chunk each image's run of
 * each of its rows goes through the epilogue in place ({@link Epilogue#store}: bias, residual at y's index,
 * activation). So every output has the bits the per-image path gives it.
 */
final class BatchedPointwise {
    /** Packed input floats per chunk of panels: the chunk stays in L2 while every row block of weights sweeps it. */
    private static final int CHUNK_FLOATS = 64 * 1024;
    /** Least fraction of idle lanes in the per-image panels for which the batch is run as one GEMM. */
    static final double MIN_WASTE = 0.20;

    private final Kernels kn;
    private final ParallelRunner runner;

    BatchedPointwise(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    /**
     * Whether g is run here: several images, one group, and per-image panels at least {@link #MIN_WASTE} idle
     * (7 x 7 planes at nr = 32). 14 x 14 planes (12.5 % idle) stay per image: there the packing and the shorter
     * epilogue runs cost about what the idle lanes do (ResNet-50's 256 -> 1024 with its residual, batch 8: 5.06
     * against 5.89 ms batched; 1024 -> 256: 4.97 against 4.54).
     */
    static boolean applies(ConvGeometry g, int nr) {
        int plane = g.h() * g.w();
        int panels = (plane + nr - 1) / nr;
        return g.n() > 1 && g.groups() == 1 && 1.0 - (double) plane / ((long) panels * nr) >= MIN_WASTE;
    }

    /**
     * y = the epilogue of conv(x * scale, w) for g ({@link #applies}), the weights packed as {@code a} ({@link
     * IndirectConvolution#packWeights}, row blocks {@code blocks}); {@code scale} null or one value per image and input
     * channel.
     */
    void forward(ConvGeometry g, float[] x, float[] scale, float[] a, RowBlocks blocks, Epilogue ep, float[] y) {
        int nr = kn.nr();
        int cg = g.c();
        int kg = g.k();
        int plane = g.h() * g.w();
        int columns = g.n() * plane;
        int panels = (columns + nr - 1) / nr;
        int wanted = 4 * runner.threads();
        // weights larger than the batch's packed input (ResNet-50's 512 -> 2048 on 7 x 7: 4 MB against 0.8 MB): large
        // chunks, the row blocks split between tasks, so that the weights are read about once; else chunks for the
        // threads, the row blocks split too only where there are few (a small batch), each part packing its chunk
        boolean weightsOutweigh = (long) blocks.kpad() * cg > (long) panels * cg * nr;
        int chunkPanels = Math.max(1, weightsOutweigh ? Math.min(panels, 2 * CHUNK_FLOATS / (cg * nr))
                : Math.min(CHUNK_FLOATS / (cg * nr), (panels + wanted - 1) / wanted));
        int chunks = (panels + chunkPanels - 1) / chunkPanels;
        int parts = Math.max(1, Math.min(blocks.count(), weightsOutweigh ? (wanted + chunks - 1) / chunks
                : wanted / chunks));
        int per = (blocks.count() + parts - 1) / parts;
        int cp = chunkPanels;
        runner.run(chunks * parts, task -> {
            int chunk = task / parts;
            int part = task % parts;
            int b0 = part * per;
            int b1 = Math.min(blocks.count(), b0 + per);
            if (b0 >= b1) {
                return;
            }
            int q0 = chunk * cp * nr;
            int count = Math.min(cp, panels - chunk * cp);
            Workspace ws = Workspace.get();
            float[] packed = ws.floats(Workspace.Slot.PACK_B, count * cg * nr);
            for (int p = 0; p < count; p++) {
                pack(g, x, scale, q0 + p * nr, packed, p * cg * nr);
            }
            float[] tile = ws.floats(Workspace.Slot.EDGE, kn.mr() * nr);
            for (int b = b0; b < b1; b++) {
                int rb = blocks.start(b);
                int m = blocks.rows(b);
                int rows = Math.min(m, kg - rb);
                for (int p = 0; p < count; p++) {
                    kn.tileOf(m, cg, a, rb * cg, packed, p * cg * nr, tile, 0, nr, false);
                    copy(tile, nr, rows, rb, q0 + p * nr, Math.min(nr, columns - q0 - p * nr), plane, kg, y);
                }
                if (!ep.isCopy()) {
                    // the epilogue in place, one call per image's run of each row over the whole chunk
                    finish(rows, rb, q0, Math.min(columns, q0 + count * nr) - q0, plane, kg, ep, y);
                }
            }
        });
    }

    /** One run of consecutive batch columns inside one image: batch column q + j is image img's position p. */
    private interface Run {
        void at(int j, int img, int p, int len);
    }

    /** The runs of batch columns [q, q + cols) that lie in one image each, in order. */
    private static void forRuns(int q, int cols, int plane, Run run) {
        for (int j = 0; j < cols; ) {
            int img = (q + j) / plane;
            int p = (q + j) % plane;
            int len = Math.min(cols - j, plane - p);
            run.at(j, img, p, len);
            j += len;
        }
    }

    /**
     * Panel columns [q, q + nr) of the batch's positions as {@code dst[d + c*nr + j]} for input channel c; columns past
     * the batch are 0.
     */
    private void pack(ConvGeometry g, float[] x, float[] scale, int q, float[] dst, int d) {
        int nr = kn.nr();
        int cg = g.c();
        int plane = g.h() * g.w();
        int cols = Math.min(nr, g.n() * plane - q);
        forRuns(q, cols, plane, (j, img, p, len) -> {
            int src = img * cg * plane + p;
            for (int c = 0; c < cg; c++) {
                if (scale == null) {
                    System.arraycopy(x, src + c * plane, dst, d + c * nr + j, len);
                } else {
                    kn.pointwise().scale(len, scale[img * cg + c], x, src + c * plane, dst, d + c * nr + j);
                }
            }
        });
        for (int c = 0; c < cg && cols < nr; c++) {
            Arrays.fill(dst, d + c * nr + cols, d + (c + 1) * nr, 0f);
        }
    }

    /** Rows [rb, rb + rows) of a computed tile (rows nr apart; columns [q, q + cols) of the batch) into y as they are. */
    private static void copy(float[] tile, int nr, int rows, int rb, int q, int cols, int plane, int kg, float[] y) {
        forRuns(q, cols, plane, (j, img, p, len) -> {
            for (int i = 0; i < rows; i++) {
                System.arraycopy(tile, i * nr + j, y, (img * kg + rb + i) * plane + p, len);
            }
        });
    }

    /**
     * The epilogue over rows [rb, rb + rows) of columns [q, q + cols) of the batch, in place in y ({@link
     * Epilogue#store} from y to y: bias, residual at y's index, activation), one call per image's run of each row.
     */
    private static void finish(int rows, int rb, int q, int cols, int plane, int kg, Epilogue ep, float[] y) {
        forRuns(q, cols, plane, (j, img, p, len) -> {
            for (int i = 0; i < rows; i++) {
                int at = (img * kg + rb + i) * plane + p;
                ep.store(y, at, rb + i, y, at, len);
            }
        });
    }
}
