package org.layers4j.cpu;

import org.layers4j.spi.ConvGeometry;

/**
 * How the tasks of a band forward ({@link IndirectConvolution}) cover the images and groups: the band layout, and
 * into how many parts each band's output channels (its weight row blocks) are split. With at least two tasks per
 * thread from the images, groups and the layout's own bands, there is one part, as before. With fewer (batch 1,
 * one group), the work must be split inside a layer so that every core has some: either into more, shorter bands
 * (each task then multiplies all the weights and computes its band's junk columns again) or into parts of the
 * output channels over whole bands (each task multiplies its share of the weights; the band is filled once per
 * part). Parts are chosen unless the whole bands compute more columns than the shorter ones: on ResNet's 7 x 7
 * layers (512 channels, batch 1) four 2-row bands compute 4 x 32 columns for 49 outputs and read the 9.4 MB of
 * weights four times; one 7-row band in four channel parts computes 64 columns and reads them once. The in-place
 * 1x1 GEMM ({@link IndirectConvolution}'s pointwise path) splits its channels the same way, with no band layout.
 */
record ChannelParts(BandLayout layout, int parts, int blocks) {

    /**
     * The split of this geometry's forward for {@code outer} images x groups, aiming at {@code wanted} tasks (twice
     * the threads), with the weight rows cut into {@code rowBlocks}.
     */
    static ChannelParts of(ConvGeometry g, int nr, RowBlocks rowBlocks, int outer, int wanted) {
        int minTasks = (wanted + outer - 1) / outer;
        BandLayout whole = new BandLayout(g, nr, 0, 1);
        int tiles = whole.bands * whole.colBands;
        if ((long) outer * tiles >= wanted || rowBlocks.count() < 2) {
            return new ChannelParts(new BandLayout(g, nr, 0, minTasks), 1, rowBlocks.count());
        }
        BandLayout shorter = new BandLayout(g, nr, 0, minTasks);
        if (whole.computedColumns(nr) > shorter.computedColumns(nr)) {
            return new ChannelParts(shorter, 1, rowBlocks.count());
        }
        int parts = Math.min(rowBlocks.count(), (wanted + outer * tiles - 1) / (outer * tiles));
        return new ChannelParts(whole, parts, rowBlocks.count());
    }

    /** The first output channel of part p's row blocks (within the group). */
    int firstChannel(RowBlocks rows, int p) {
        return rows.start(firstBlock(p));
    }

    /** The end of part p's output channels within the group's kg (its padding rows past kg excluded). */
    int endChannel(RowBlocks rows, int kg, int p) {
        int b1 = firstBlock(p + 1);
        return Math.min(kg, b1 < rows.count() ? rows.start(b1) : rows.kpad());
    }

    /** The first row block of part p (p = parts: the block count): parts differ by at most one block. */
    int firstBlock(int p) {
        return (int) ((long) p * blocks / parts);
    }
}
