package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Tape;
import org.layers4j.nn.linear.Linear;
import org.layers4j.spi.Backend;

/** Issue 25: torch.no_grad() for tapes, and a warning for a tape left open. */
class TapeNoGradTest {
    private final Backend be = Backends.get("cpu");

    @Test
    void nothingRecordsInsideANoGradScopeEvenWithATapeOpenAndScopesNest() {
        try (Linear fc = new Linear(3, 2, true, be, 0);
             Tensor x = be.upload(new float[] {1, 2, 3}, Shape.of(1, 3));
             Tape tape = Tape.start()) {
            fc.forward(x).close();
            assertEquals(1, tape.size());
            try (Tape.NoGrad g = Tape.noGrad()) {
                assertFalse(Tape.isRecording());
                fc.forward(x).close();
                try (Tape.NoGrad inner = Tape.noGrad()) {
                    fc.forward(x).close();
                }
                assertFalse(Tape.isRecording(), "still inside the outer scope");
                fc.forward(x).close();
                // a tape started inside the scope records (Module.backward relies on it), and closing it
                // leaves the scope in force
                try (Tape explicit = Tape.start()) {
                    fc.forward(x).close();
                    assertEquals(1, explicit.size());
                }
                assertFalse(Tape.isRecording());
                g.close();
                g.close(); // idempotent
                assertTrue(Tape.isRecording());
            }
            fc.forward(x).close();
            assertEquals(2, tape.size());
            // backward still works inside a no-grad scope through Module.backward's own tape
            try (Tape.NoGrad g = Tape.noGrad();
                 Tensor gy = be.upload(new float[] {1, 1}, Shape.of(1, 2));
                 org.layers4j.nn.Gradients grads = fc.backward(x, gy)) {
                assertEquals(Shape.of(1, 3), grads.input().shape());
            }
            assertEquals(2, tape.size());
        }
        assertFalse(Tape.isRecording());
    }

    @Test
    void aTapeClosedInsideTheScopeDoesNotRecordAfterIt() {
        try (Linear fc = new Linear(3, 2, true, be, 0);
             Tensor x = be.upload(new float[] {1, 2, 3}, Shape.of(1, 3))) {
            Tape tape = Tape.start();
            try (Tape.NoGrad g = Tape.noGrad()) {
                tape.close();
            }
            assertFalse(Tape.isRecording());
            fc.forward(x).close();
            assertEquals(0, tape.size());
        }
    }

    @Test
    void aTapeThatRecordsTooManyOperationsWithoutABackwardWarnsOnce() {
        int before = Tape.warnOps();
        assertEquals(Tape.DEFAULT_WARN_OPS, before);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        Tape.setWarnOps(5);
        try (Linear fc = new Linear(3, 2, true, be, 0);
             Tensor x = be.upload(new float[] {1, 2, 3}, Shape.of(1, 3))) {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try (Tape tape = Tape.start()) {
                for (int i = 0; i < 20; i++) {
                    fc.forward(x).close();
                }
            }
            try (Tape tape = Tape.start()) {
                for (int i = 0; i < 5; i++) {
                    fc.forward(x).close();
                }
            }
        } finally {
            System.setErr(err);
            Tape.setWarnOps(before);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.lines().filter(l -> l.contains("has recorded 6 operations without a backward")).count(), log);
        assertTrue(log.contains("a tape left open records every forward") && log.contains("Tape.noGrad()")
                && log.contains("layers4j.tape.warnOps"), log);
    }
}
