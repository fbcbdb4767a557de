package org.layers4j.cpu;

/**
 * How the kg weight rows of a group are cut into micro-tile row blocks: blocks of mr rows, and for a remainder
 * that the short tile ({@link Kernels#shortMr()}) covers, short blocks instead of one mostly-padding mr block.
 * With AVX2's 6-row tile, kg = 8 (ResNeXt groups) is 4 + 4 rows instead of 6 + 6 (a third of the products
 * padding), kg = 64 is 10 x 6 + 4 instead of 11 x 6. Block b covers rows [start(b), start(b) + rows(b)); rows
 * past kg are padding (zero weights). Packed weights place block b at {@code start(b) * kd} with depth stride
 * {@code rows(b)} ({@link IndirectConvolution#packWeights}), so {@link #kpad()} rows are stored per group.
 */
final class RowBlocks {
    private final int[] start;
    private final int[] rows;
    private final int kpad;

    private RowBlocks(int[] start, int[] rows) {
        this.start = start;
        this.rows = rows;
        this.kpad = start.length == 0 ? 0 : start[start.length - 1] + rows[rows.length - 1];
    }

    /** The blocks of kg rows for the kernels' tile heights: the panels every forward path packs and reads. */
    static RowBlocks of(int kg, Kernels kn) {
        return of(kg, kn.mr(), kn.shortMr());
    }

    /** The blocks of kg rows for the tile heights mr and shortMr (shortMr == mr: no short tile). */
    static RowBlocks of(int kg, int mr, int shortMr) {
        if (kg < 0 || mr < 1 || shortMr < 1 || shortMr > mr) {
            throw new IllegalArgumentException("row blocks need kg >= 0 and 1 <= shortMr <= mr, but got kg=" + kg
                    + ", mr=" + mr + ", shortMr=" + shortMr);
        }
        int full = kg / mr;
        int rem = kg % mr;
        int[] heights;
        if (rem == 0) {
            heights = filled(full, mr, 0, 0);
        } else if (shortMr == mr || rem > shortMr) {
            heights = filled(full + 1, mr, 0, 0);
        } else if (full >= 1 && mr + rem <= 2 * shortMr) {
            // the last full block and the remainder fit two short blocks: fewer padding rows than mr + short
            heights = filled(full + 1, mr, 2, shortMr);
        } else {
            heights = filled(full + 1, mr, 1, shortMr);
        }
        int[] starts = new int[heights.length];
        for (int b = 1; b < heights.length; b++) {
            starts[b] = starts[b - 1] + heights[b - 1];
        }
        return new RowBlocks(starts, heights);
    }

    /** count blocks of height h, the last {@code shortCount} of them of height shortH. */
    private static int[] filled(int count, int h, int shortCount, int shortH) {
        int[] heights = new int[count];
        for (int b = 0; b < count; b++) {
            heights[b] = b < count - shortCount ? h : shortH;
        }
        return heights;
    }

    int count() {
        return start.length;
    }

    int start(int b) {
        return start[b];
    }

    int rows(int b) {
        return rows[b];
    }

    /** Rows stored per group, padding included: the sum of the block heights. */
    int kpad() {
        return kpad;
    }
}
