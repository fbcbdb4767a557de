package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RowBlocksTest {

    private static int[] heights(RowBlocks b) {
        int[] h = new int[b.count()];
        for (int i = 0; i < h.length; i++) {
            h[i] = b.rows(i);
        }
        return h;
    }

    @Test
    void avx2TileCutsTheRemainderIntoShortBlocks() {
        assertArrayEquals(new int[] {4, 4}, heights(RowBlocks.of(8, 6, 4)));
        assertArrayEquals(new int[] {4}, heights(RowBlocks.of(3, 6, 4)));
        assertArrayEquals(new int[] {6, 6}, heights(RowBlocks.of(11, 6, 4)));
        assertArrayEquals(new int[] {6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 4}, heights(RowBlocks.of(64, 6, 4)));
        assertEquals(64, RowBlocks.of(64, 6, 4).kpad());
        assertEquals(128, RowBlocks.of(128, 6, 4).kpad());
        assertEquals(8, RowBlocks.of(7, 6, 4).kpad());
    }

    @Test
    void withoutAShortTileEveryBlockIsFull() {
        assertArrayEquals(new int[] {8, 8}, heights(RowBlocks.of(9, 8, 8)));
        assertEquals(0, RowBlocks.of(0, 8, 4).count());
    }

    @Test
    void blocksAreContiguousCoverEveryRowAndPadLessThanAFullBlock() {
        int[][] tiles = {{4, 2}, {6, 4}, {8, 4}, {8, 8}, {6, 6}};
        for (int[] t : tiles) {
            for (int kg = 0; kg <= 200; kg++) {
                RowBlocks b = RowBlocks.of(kg, t[0], t[1]);
                int next = 0;
                for (int i = 0; i < b.count(); i++) {
                    assertEquals(next, b.start(i), "kg=" + kg);
                    assertTrue(b.rows(i) == t[0] || b.rows(i) == t[1], "kg=" + kg);
                    next += b.rows(i);
                }
                assertEquals(next, b.kpad());
                assertTrue(b.kpad() >= kg && b.kpad() - kg < t[0], "kg=" + kg + " kpad=" + b.kpad());
                assertTrue(b.kpad() <= Gemm.roundUp(kg, t[0]), "never more padding than full blocks, kg=" + kg);
                // every block but possibly the last has a real row
                for (int i = 0; i < b.count(); i++) {
                    assertTrue(b.start(i) < kg, "kg=" + kg);
                }
            }
        }
    }

    @Test
    void rejectsImpossibleTiles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowBlocks.of(8, 4, 6));
        assertTrue(e.getMessage().contains("shortMr=6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RowBlocks.of(-1, 6, 4));
    }
}
