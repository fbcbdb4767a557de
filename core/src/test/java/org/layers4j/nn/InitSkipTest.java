package org.layers4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Init.skip(): a loading scope in which the distributions return zeros without drawing, on its thread only. */
class InitSkipTest {
    @Test
    void insideASkipScopeTheDistributionsReturnZerosAndDrawNothing() {
        SplittableRandom rng = new SplittableRandom(3);
        try (Init.Skip s = Init.skip(); Init.Skip nested = Init.skip()) {
            assertArrayEquals(new float[5], Init.uniform(rng, 5, 1.0));
            nested.close();
            assertArrayEquals(new float[4], Init.normal(rng, 4), "still inside the outer scope");
        }
        // nothing was drawn: the generator gives what a fresh one with the same seed gives
        assertArrayEquals(Init.uniform(new SplittableRandom(3), 5, 1.0), Init.uniform(rng, 5, 1.0));
    }

    @Test
    void aSkipScopeDoesNotReachOtherThreads() throws Exception {
        AtomicReference<float[]> other = new AtomicReference<>();
        try (Init.Skip s = Init.skip()) {
            Thread t = new Thread(() -> other.set(Init.uniform(new SplittableRandom(1), 8, 1.0)));
            t.start();
            t.join();
        }
        assertFalse(java.util.Arrays.equals(new float[8], other.get()), "another thread still initializes randomly");
    }
}
