package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Dropout;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.Tape;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.norm.BatchNorm1d;
import org.layers4j.spi.Backend;

/** The module contract (state_dict names, modes, the tape, gradient accumulation) on one backend. */
public abstract class BackendModuleTests {

    protected abstract Backend backend();

    /** A user-written composite: two Linear layers with a residual add, nested in a Sequential. */
    static final class Residual extends Module {
        final Linear a;
        final Linear b;
        final AtomicInteger forwards = new AtomicInteger();

        Residual(int n, Backend be) {
            super(be);
            a = registerModule("a", new Linear(n, n, true, be, 1));
            b = registerModule("b", new Linear(n, n, false, be, 2));
        }

        @Override
        public Tensor forward(Tensor x) {
            forwards.incrementAndGet();
            try (Tensor h = a.forward(x); Tensor g = b.forward(h)) {
                return Functional.add(g, x);
            }
        }
    }

    private Tensor tensor(float[] v, int... dims) {
        return backend().upload(v, Shape.of(dims));
    }

    @Test
    void stateDictNamesNestAsPyTorchsParametersThenBuffersThenChildren() {
        Backend be = backend();
        try (Sequential s = new Sequential(new Residual(3, be), new BatchNorm1d(3, 1e-5, 0.1, true, true, be))) {
            assertEquals(List.of("0.a.weight", "0.a.bias", "0.b.weight", "1.weight", "1.bias", "1.running_mean",
                    "1.running_var", "1.num_batches_tracked"), List.copyOf(s.stateDict().keySet()));
            assertEquals(List.of("0.a.weight", "0.a.bias", "0.b.weight", "1.weight", "1.bias"),
                    List.copyOf(s.parameters().keySet()));
            assertEquals(List.of("1.running_mean", "1.running_var", "1.num_batches_tracked"),
                    List.copyOf(s.buffers().keySet()));
        }
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        Backend be = backend();
        try (Residual r = new Residual(2, be); Sequential s = new Sequential(r, new Dropout(0.5, 0, be))) {
            assertTrue(r.a.isTraining());
            s.eval();
            assertFalse(r.a.isTraining());
            assertFalse(s.get(1).isTraining());
            s.train();
            assertTrue(r.b.isTraining());
        }
    }

    @Test
    void backwardOnTheTapeNeverRunsForwardAgainAndGradientsFlowThroughTheResidual() {
        Backend be = backend();
        try (Residual r = new Residual(2, be); Tensor x = tensor(new float[] {1, 2}, 1, 2);
             Tensor dy = tensor(new float[] {1, 1}, 1, 2); Tape tape = Tape.start()) {
            r.a.setParameter("weight", new float[] {1, 0, 0, 1});
            r.a.setParameter("bias", new float[] {0, 0});
            r.b.setParameter("weight", new float[] {2, 0, 0, 3});
            Tensor y = r.forward(x);
            assertArrayEquals(new float[] {3, 8}, y.toArray()); // b(a(x)) + x = (2, 6) + (1, 2)
            try (Gradients g = tape.backward(y, dy)) {
                assertEquals(1, r.forwards.get(), "backward ran no forward");
                assertArrayEquals(new float[] {3, 4}, g.of(x).toArray()); // diag(2, 3) + identity
            }
            assertArrayEquals(new float[] {2, 4, 3, 6}, r.a.namedParameterObjects().get("weight").grad().toArray());
            y.close();
        }
    }

    @Test
    void parameterGradientsAccumulateAcrossBackwardsUntilZeroed() {
        Backend be = backend();
        try (Linear l = new Linear(2, 1, true, be, 0); Tensor x = tensor(new float[] {1, 2}, 2);
             Tensor dy = tensor(new float[] {1}, 1)) {
            for (int i = 0; i < 2; i++) {
                try (Tape tape = Tape.start(); Tensor y = l.forward(x)) {
                    tape.backward(y, dy).close();
                }
            }
            assertArrayEquals(new float[] {2, 4}, l.namedParameterObjects().get("weight").grad().toArray());
            assertArrayEquals(new float[] {2}, l.namedParameterObjects().get("bias").grad().toArray());
            l.zeroGrad();
            assertNull(l.namedParameterObjects().get("weight").grad());
        }
    }

    @Test
    void aTapeRunsBackwardOnceAndRejectsAMismatchedGradient() {
        Backend be = backend();
        try (ReLU relu = new ReLU(be); Tensor x = tensor(new float[] {1, -1}, 2); Tensor dy = tensor(new float[] {1, 1}, 2);
             Tensor bad = tensor(new float[] {1, 1, 1}, 3); Tape tape = Tape.start(); Tensor y = relu.forward(x)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> tape.backward(y, bad)).getMessage()
                    .contains("grad_output must have the output's shape [2]"));
            tape.backward(y, dy).close();
            assertThrows(IllegalStateException.class, () -> tape.backward(y, dy));
        }
    }

    @Test
    void savedTensorsOutliveTheCallersHandles() {
        Backend be = backend();
        try (ReLU relu = new ReLU(be); Tensor dy = tensor(new float[] {5, 5}, 2); Tape tape = Tape.start()) {
            Tensor x = tensor(new float[] {1, -1}, 2);
            Tensor y = relu.forward(x);
            x.close(); // the tape keeps its own handle on what backward needs
            try (Gradients g = tape.backward(y, dy)) {
                assertArrayEquals(new float[] {5, 0}, g.of(x).toArray());
            }
            y.close();
        }
    }

    @Test
    void noTapeMeansNothingIsKept() {
        Backend be = backend();
        assertFalse(Tape.isRecording());
        try (Conv2d conv = Conv2d.builder(1, 1, 1).backend(be).build(); Tensor x = tensor(new float[] {1}, 1, 1, 1, 1);
             Tensor y = conv.forward(x)) {
            assertNotNull(y);
        }
    }

    @Test
    void moduleBackwardReturnsNamedGradientsAndLeavesAccumulatedOnesAlone() {
        Backend be = backend();
        try (Linear l = new Linear(2, 1, true, be, 0); Tensor x = tensor(new float[] {1, 2}, 2);
             Tensor dy = tensor(new float[] {1}, 1); Gradients g = l.backward(x, dy)) {
            assertArrayEquals(new float[] {1, 2}, g.weight().toArray());
            assertArrayEquals(new float[] {1}, g.bias().toArray());
            assertNull(l.namedParameterObjects().get("weight").grad());
        }
    }

    @Test
    void dropoutDropsWithItsOwnSeedInTrainingAndIsTheIdentityInEval() {
        Backend be = backend();
        float[] ones = new float[1000];
        java.util.Arrays.fill(ones, 1f);
        try (Dropout d = new Dropout(0.25, 42, be); Tensor x = tensor(ones, 1000)) {
            try (Tensor y = d.forward(x)) {
                float[] v = y.toArray();
                int zeros = 0;
                for (float f : v) {
                    assertTrue(f == 0f || Math.abs(f - 1f / 0.75f) < 1e-6, "kept elements are scaled by 1/(1-p)");
                    zeros += f == 0f ? 1 : 0;
                }
                assertTrue(zeros > 180 && zeros < 320, "about p of the elements are dropped: " + zeros);
            }
            try (Dropout same = new Dropout(0.25, 42, be); Tensor a = same.forward(x); Tensor b = new Dropout(0.25, 42, be).forward(x)) {
                assertArrayEquals(a.toArray(), b.toArray(), "the same seed drops the same elements");
            }
            d.eval();
            try (Tensor y = d.forward(x)) {
                assertArrayEquals(ones, y.toArray());
            }
        }
    }

    @Test
    void unknownStateDictNamesAreRejectedNamingTheKnownOnes() {
        Backend be = backend();
        try (Sequential s = new Sequential(new Linear(2, 2, true, be, 0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.setParameter("0.wieght", new float[4]));
            assertTrue(e.getMessage().contains("0.wieght") && e.getMessage().contains("0.weight"), e.getMessage());
        }
    }
}
