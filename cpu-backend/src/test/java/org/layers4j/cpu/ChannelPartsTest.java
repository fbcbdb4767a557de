package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layers4j.spi.ConvGeometry;

/** How a band forward's tasks are split: by images and bands, or at batch 1 by output channels over whole bands. */
class ChannelPartsTest {
    private static final int NR = 32;
    private static final int MR = 8;

    private static ConvGeometry conv3x3(int n, int c, int size, int k) {
        return new ConvGeometry(n, c, size, size, k, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    }

    @Test
    void resnetsLastStageAtBatchOneIsOneBandInChannelParts() {
        ConvGeometry g = conv3x3(1, 512, 7, 512);
        RowBlocks blocks = RowBlocks.of(512, MR, MR);
        ChannelParts split = ChannelParts.of(g, NR, blocks, 1, 4);
        assertEquals(1, split.layout().bands * split.layout().colBands);
        assertEquals(4, split.parts());
        // 49 outputs in 64 computed columns, against 4 bands of 2 rows (and 1): 4 panels of 32
        assertEquals(64, split.layout().computedColumns(NR));
        assertEquals(4 * 32, new BandLayout(g, NR, 0, 4).computedColumns(NR));
    }

    @Test
    void enoughImagesKeepOnePart() {
        ConvGeometry g = conv3x3(8, 512, 7, 512);
        ChannelParts split = ChannelParts.of(g, NR, RowBlocks.of(512, MR, MR), 8, 4);
        assertEquals(1, split.parts());
    }

    @Test
    void aSingleRowBlockCannotBeSplit() {
        ConvGeometry g = conv3x3(1, 16, 7, 8);
        ChannelParts split = ChannelParts.of(g, NR, RowBlocks.of(8, MR, MR), 1, 4);
        assertEquals(1, split.parts());
        assertTrue(split.layout().bands * split.layout().colBands >= 2, "the rows are split instead");
    }

    @Test
    void shorterBandsWinWhereTheyComputeFewerColumns() {
        // a 53 x 53 plane: one 53-row band computes 52 x 55 + 53 = 2913 -> 2944 columns, 4 bands of 14 rows (and 11)
        // 3 x 768 + 608 = 2912: the rows are split, as before
        ConvGeometry g = conv3x3(1, 4, 53, 64);
        BandLayout whole = new BandLayout(g, NR, 0, 1);
        BandLayout shorter = new BandLayout(g, NR, 0, 4);
        assertTrue(whole.computedColumns(NR) > shorter.computedColumns(NR));
        ChannelParts split = ChannelParts.of(g, NR, RowBlocks.of(64, MR, MR), 1, 4);
        assertEquals(1, split.parts());
        assertEquals(shorter.bands, split.layout().bands);
    }

    @Test
    void partChannelsEndAtKgNotAtThePaddingRows() {
        // 20 outputs as 8 + 8 + 4 rows (AVX-512 with a short tile): three parts of one block each
        RowBlocks rows = RowBlocks.of(20, MR, 4);
        ChannelParts split = new ChannelParts(null, 3, rows.count());
        assertEquals(0, split.firstChannel(rows, 0));
        assertEquals(8, split.endChannel(rows, 20, 0));
        assertEquals(16, split.firstChannel(rows, 2));
        assertEquals(20, split.endChannel(rows, 20, 2));
        // 20 outputs in 8-row blocks only: the last block's 4 padding rows are not channels
        RowBlocks padded = RowBlocks.of(20, MR, MR);
        assertEquals(20, new ChannelParts(null, 2, padded.count()).endChannel(padded, 20, 1));
    }

    @Test
    void partsCoverEveryBlockOnceAndDifferByAtMostOne() {
        for (int count = 2; count <= 70; count++) {
            for (int parts = 1; parts <= count; parts++) {
                ChannelParts split = new ChannelParts(null, parts, count);
                assertEquals(0, split.firstBlock(0));
                assertEquals(count, split.firstBlock(parts));
                for (int p = 0; p < parts; p++) {
                    int size = split.firstBlock(p + 1) - split.firstBlock(p);
                    assertTrue(size == count / parts || size == count / parts + 1, count + " blocks, " + parts + " parts");
                }
            }
        }
    }
}
