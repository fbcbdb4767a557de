package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;

/**
 * Issue 25: the first CPU backend created on a thread whose interrupt flag is set (a request thread being
 * cancelled) works, keeps the flag for its caller, and leaves no pool thread behind once closed.
 */
class InterruptedCreationTest {

    private static Set<String> poolThreads() {
        Set<String> names = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("layers4j-cpu-") && t.isAlive()) {
                names.add(t.getName());
            }
        }
        return names;
    }

    @Test
    void aBackendCreatedAndUsedOnAnInterruptedThreadWorksKeepsTheFlagAndLeaksNoThread() throws Exception {
        Set<String> before = poolThreads();
        JitWarmup.forget(); // as for the first backend of the JVM: the warm-up runs on the pool
        CpuBackend b;
        Thread.currentThread().interrupt();
        try {
            b = new CpuBackend(Config.load().with(Config.CPU_THREADS, "4").with(CpuBackend.WARMUP_KEY, "true"));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept for the caller");
            float[] v = new float[1 << 20];
            for (int i = 0; i < v.length; i++) {
                v[i] = i % 7 - 3;
            }
            // an operation on the pool, still interrupted: it completes instead of throwing mid-way
            try (Tensor x = b.upload(v, Shape.of(v.length)); Tensor y = b.allocate(Shape.of(v.length))) {
                b.activation().relu(x, y);
                float[] expected = v.clone();
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = Math.max(0, expected[i]);
                }
                assertArrayEquals(expected, y.toArray());
            }
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
        String prefix = b.threadPrefix();
        b.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && poolThreads().stream().anyMatch(n -> n.startsWith(prefix))) {
            Thread.sleep(20);
        }
        assertFalse(poolThreads().stream().anyMatch(n -> n.startsWith(prefix)), "pool threads alive after close");
        Set<String> after = poolThreads();
        after.removeAll(before);
        assertTrue(after.isEmpty(), "new live pool threads: " + after);
    }
}
