package org.layers4j.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The broadcast layout core hands to backends, and the collapsed forms their fast paths key on. */
class BroadcastTest {
    private static void assertLayout(Broadcast b, int[] dims, int[] as, int[] bs) {
        assertArrayEquals(dims, b.dims(), "dims of " + b);
        assertArrayEquals(as, b.aStrides(), "a strides of " + b);
        assertArrayEquals(bs, b.bStrides(), "b strides of " + b);
    }

    @Test
    void stridesAreZeroWhereAnOperandBroadcasts() {
        assertLayout(Broadcast.of(new int[] {2, 3, 4, 5}, new int[] {3, 1, 1}),
                new int[] {2, 3, 4, 5}, new int[] {60, 20, 5, 1}, new int[] {0, 1, 0, 0});
        assertLayout(Broadcast.of(new int[] {1, 4}, new int[] {3, 1}), new int[] {3, 4}, new int[] {0, 1}, new int[] {1, 0});
        assertLayout(Broadcast.of(new int[0], new int[0]), new int[0], new int[0], new int[0]);
        assertEquals(120, Broadcast.of(new int[] {2, 3, 4, 5}, new int[0]).size());
    }

    @Test
    void cnnShapesCollapseToTheirFastPathForms() {
        int[] x = {8, 16, 7, 9};
        // same shape: one contiguous run
        assertLayout(Broadcast.of(x, x).collapsed(), new int[] {8 * 16 * 63}, new int[] {1}, new int[] {1});
        // a scalar (rank 0 or all ones): one run against one value
        assertLayout(Broadcast.of(x, new int[0]).collapsed(), new int[] {8 * 16 * 63}, new int[] {1}, new int[] {0});
        assertLayout(Broadcast.of(new int[] {1, 1, 1, 1}, x).collapsed(), new int[] {8 * 16 * 63}, new int[] {0},
                new int[] {1});
        // squeeze-excitation [N, C, 1, 1]: rows of H*W against one value per (n, c)
        assertLayout(Broadcast.of(x, new int[] {8, 16, 1, 1}).collapsed(), new int[] {128, 63}, new int[] {63, 1},
                new int[] {1, 0});
        // per-channel [1, C, 1, 1] and layer scale [C, 1, 1]: [N, C, H*W] with the channel's value per row
        Broadcast perChannel = Broadcast.of(x, new int[] {1, 16, 1, 1}).collapsed();
        assertLayout(perChannel, new int[] {8, 16, 63}, new int[] {1008, 63, 1}, new int[] {0, 1, 0});
        assertEquals(perChannel, Broadcast.of(x, new int[] {16, 1, 1}).collapsed());
        // size-1 output dimensions vanish
        assertLayout(Broadcast.of(new int[] {1, 5, 1}, new int[] {1, 5, 1}).collapsed(), new int[] {5}, new int[] {1},
                new int[] {1});
        assertLayout(Broadcast.of(new int[0], new int[] {1}).collapsed(), new int[] {1}, new int[] {0}, new int[] {0});
    }

    @Test
    void incompatibleShapesGivePyTorchsMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Broadcast.of(new int[] {2, 3}, new int[] {5, 2, 4}));
        assertEquals("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 2",
                e.getMessage());
    }
}
