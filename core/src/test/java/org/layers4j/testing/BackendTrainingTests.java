package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.Tape;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.loss.CrossEntropyLoss;
import org.layers4j.nn.loss.Loss;
import org.layers4j.nn.loss.MSELoss;
import org.layers4j.nn.norm.BatchNorm2d;
import org.layers4j.optim.Adam;
import org.layers4j.optim.AdamW;
import org.layers4j.optim.Optimizer;
import org.layers4j.optim.SGD;
import org.layers4j.spi.Backend;

/**
 * Training end to end on one backend: the PyTorch training fixtures (fixtures/training), resuming
 * from a checkpoint bit for bit, gradient accumulation, and the optimizers' state_dict.
 */
public abstract class BackendTrainingTests {
    /** How many cases fixtures/training holds; a lost file must fail, not shrink the suite. */
    public static final int TRAINING_FIXTURE_COUNT = 4;
    private static final int BATCH = 4;
    private static final int CLASSES = 5;

    protected abstract Backend backend();

    static Path trainingFixtureDir() {
        return TestData.fixtureDir().resolveSibling("training");
    }

    // ---- fixtures ---------------------------------------------------------------------------------

    @Test
    void everyTrainingFixtureIsFound() throws IOException {
        assertEquals(TRAINING_FIXTURE_COUNT, ConformanceCase.find(List.of(trainingFixtureDir())).size());
    }

    @TestFactory
    Stream<DynamicTest> trainingFixtureMatchesPyTorchLossesParametersAndBuffers() throws IOException {
        return ConformanceCase.find(List.of(trainingFixtureDir())).stream().map(file -> DynamicTest.dynamicTest(
                file.getFileName().toString(), () -> {
                    ConformanceCase c = ConformanceCase.load(file);
                    assertEquals("training", c.op());
                    ConformanceCase.Result r = c.run(backend());
                    assertTrue(r.passed(), () -> c.name() + " failed: " + r.comparisons().stream().filter(x -> !x.passed())
                            .map(x -> x.tensor() + " max error " + x.maxError() + " > " + x.tolerance() + " " + x.problem())
                            .collect(Collectors.joining("; ")));
                    long finals = SafeTensors.read(file).tensors().keySet().stream().filter(k -> k.startsWith("final.")).count();
                    assertTrue(finals > 0, "the fixture holds final.* tensors");
                    assertEquals(1 + finals, r.comparisons().size(), "tensors compared (the losses and every final.*)");
                    assertEquals("loss", r.comparisons().get(0).tensor());
                }));
    }

    // ---- resume from a checkpoint -------------------------------------------------------------------

    /** Conv2d(1, 3, 3, padding=1) → BatchNorm2d(3) → ReLU → Flatten → Linear(48, 5), seeded. */
    private Sequential model(long seed) {
        Backend be = backend();
        return new Sequential(Conv2d.builder(1, 3, 3).padding(1).seed(seed).backend(be).build(),
                new BatchNorm2d(3, 1e-5, 0.1, true, true, be), new ReLU(be), new Flatten(1, -1, be),
                new Linear(3 * 4 * 4, CLASSES, true, be, seed + 1));
    }

    /** One training step on batch {@code i} of a fixed data stream; returns the loss. */
    private float step(Module model, Optimizer opt, Loss loss, int i) {
        Backend be = backend();
        SplittableRandom rng = new SplittableRandom(1000 + i);
        long[] t = new long[BATCH];
        for (int k = 0; k < BATCH; k++) {
            t[k] = rng.nextInt(CLASSES);
        }
        model.train();
        opt.zeroGrad();
        float value;
        try (Tensor x = be.upload(TestData.randomFloats(rng, BATCH * 16), Shape.of(BATCH, 1, 4, 4));
             Tensor target = be.upload(t, Shape.of(BATCH)); Tape tape = Tape.start();
             Tensor y = model.forward(x); Tensor l = loss.forward(y, target)) {
            value = l.toArray()[0];
            tape.backward(l).close();
        }
        opt.step();
        return value;
    }

    private static void assertSameState(Module expected, Module actual, String what) {
        Map<String, Tensor> e = expected.stateDict();
        Map<String, Tensor> a = actual.stateDict();
        assertEquals(e.keySet(), a.keySet(), what + ": state_dict keys");
        e.forEach((k, t) -> {
            Tensor u = a.get(k);
            assertEquals(t.dtype(), u.dtype(), what + ": " + k + " dtype");
            if (t.dtype() == DType.INT64) {
                assertArrayEquals(t.toLongArray(), u.toLongArray(), what + ": " + k);
            } else {
                assertArrayEquals(t.toArray(), u.toArray(), what + ": " + k + " (bit for bit)");
            }
        });
    }

    private void resumeIsBitForBit(Function<Module, Optimizer> make, Path dir, boolean freshDefaults,
                                   Function<Module, Optimizer> makeFresh) throws IOException {
        final int total = 6;
        final int first = 3;
        Loss ce = new CrossEntropyLoss(null, -100, org.layers4j.nn.loss.Reduction.MEAN, 0.1);
        float[] straight = new float[total];
        float[] resumed = new float[total];
        try (Sequential a = model(7); Optimizer oa = make.apply(a)) {
            for (int i = 0; i < total; i++) {
                straight[i] = step(a, oa, ce, i);
            }
            Path modelFile = dir.resolve("model.safetensors");
            Path optFile = dir.resolve("optimizer.safetensors");
            String name = oa.getClass().getSimpleName();
            try (Sequential b = model(7); Optimizer ob = make.apply(b)) {
                for (int i = 0; i < first; i++) {
                    resumed[i] = step(b, ob, ce, i);
                }
                StateDicts.save(b, modelFile);
                ob.save(optFile);
            }
            // a new model (other initial weights) and a new optimizer, loaded from the files
            try (Sequential c = model(99); Optimizer oc = (freshDefaults ? makeFresh : make).apply(c)) {
                StateDicts.load(c, modelFile);
                oc.load(optFile);
                try (Sequential ref = model(7); Optimizer oref = make.apply(ref)) {
                    assertEquals(describe(oref.hyperParameters()), describe(oc.hyperParameters()),
                            name + ": hyper-parameters after load");
                }
                for (int i = first; i < total; i++) {
                    resumed[i] = step(c, oc, ce, i);
                }
                assertArrayEquals(straight, resumed, name + ": losses of the resumed run (bit for bit)");
                assertSameState(a, c, name + " resumed after " + first + " of " + total + " steps");
                Map<String, HostTensor> sa = oa.stateDict();
                Map<String, HostTensor> sc = oc.stateDict();
                assertEquals(sa.keySet(), sc.keySet(), name + ": optimizer state keys");
                sa.forEach((k, v) -> {
                    if (v.dtype() == DType.INT64) {
                        assertArrayEquals(v.asLongs(), sc.get(k).asLongs(), name + ": " + k);
                    } else {
                        assertArrayEquals(v.data(), sc.get(k).data(), name + ": " + k);
                    }
                });
            }
        }
    }

    private static String describe(Map<String, Object> hp) {
        return hp.entrySet().stream().map(e -> e.getKey() + "=" + (e.getValue() instanceof double[] d
                ? java.util.Arrays.toString(d) : String.valueOf(e.getValue()))).collect(Collectors.joining(", "));
    }

    private static Optimizer sgdNesterov(Module m) {
        return new SGD(m, 0.05).momentum(0.9).nesterov(true).weightDecay(1e-3);
    }

    private static Optimizer adamAmsgrad(Module m) {
        return new Adam(m, 0.01).betas(0.8, 0.99).amsgrad(true).weightDecay(1e-3);
    }

    private static Optimizer adamW(Module m) {
        return new AdamW(m, 0.01).weightDecay(0.05);
    }

    @Test
    void sgdNesterovResumesBitForBit(@TempDir Path dir) throws IOException {
        resumeIsBitForBit(BackendTrainingTests::sgdNesterov, dir, false, null);
    }

    @Test
    void adamAmsgradResumesBitForBit(@TempDir Path dir) throws IOException {
        resumeIsBitForBit(BackendTrainingTests::adamAmsgrad, dir, false, null);
    }

    @Test
    void adamWResumesBitForBit(@TempDir Path dir) throws IOException {
        resumeIsBitForBit(BackendTrainingTests::adamW, dir, false, null);
    }

    // PyTorch's load_state_dict restores param_groups, so an optimizer constructed with other (default)
    // hyper-parameters resumes the saved run exactly, momentum and amsgrad included.

    @Test
    void loadRestoresSavedSgdHyperParametersIntoADefaultSgd(@TempDir Path dir) throws IOException {
        resumeIsBitForBit(BackendTrainingTests::sgdNesterov, dir, true, m -> new SGD(m, 0.5));
    }

    @Test
    void loadRestoresSavedAdamHyperParametersIntoADefaultAdam(@TempDir Path dir) throws IOException {
        resumeIsBitForBit(BackendTrainingTests::adamAmsgrad, dir, true, Adam::new);
    }

    @Test
    void loadRestoresSavedAdamWHyperParametersIntoADefaultAdamW(@TempDir Path dir) throws IOException {
        resumeIsBitForBit(BackendTrainingTests::adamW, dir, true, AdamW::new);
    }

    // ---- gradients ----------------------------------------------------------------------------------

    private float[] backwardOnce(Linear lin, float[] x, float[] dy, String param) {
        Backend be = backend();
        try (Tensor xt = be.upload(x, Shape.of(2, 3)); Tensor dyt = be.upload(dy, Shape.of(2, 4)); Tape tape = Tape.start();
             Tensor y = lin.forward(xt)) {
            tape.backward(y, dyt).close();
        }
        return lin.namedParameterObjects().get(param).grad().toArray();
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroGrad() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] x1 = TestData.randomFloats(rng, 6);
        float[] x2 = TestData.randomFloats(rng, 6);
        float[] dy1 = TestData.randomFloats(rng, 8);
        float[] dy2 = TestData.randomFloats(rng, 8);
        try (Linear lin = new Linear(3, 4, true, backend(), 3)) {
            for (String p : List.of("weight", "bias")) {
                lin.zeroGrad();
                float[] g1 = backwardOnce(lin, x1, dy1, p);
                lin.zeroGrad();
                float[] g2 = backwardOnce(lin, x2, dy2, p);
                lin.zeroGrad();
                assertNull(lin.namedParameterObjects().get(p).grad(), "zeroGrad drops the gradient");
                backwardOnce(lin, x1, dy1, p);
                float[] sum = backwardOnce(lin, x2, dy2, p);
                float[] expected = new float[g1.length];
                for (int i = 0; i < g1.length; i++) {
                    expected[i] = g1[i] + g2[i];
                }
                assertArrayEquals(expected, sum, 1e-6f, p + ": the second backward adds to the first");
                lin.zeroGrad();
                assertNull(lin.namedParameterObjects().get(p).grad(), p + ": zeroGrad after accumulation");
                assertArrayEquals(g1, backwardOnce(lin, x1, dy1, p), p + ": after zeroGrad a backward starts afresh");
            }
        }
    }

    @Test
    void optimizerZeroGradDropsEveryGradient() {
        try (Linear lin = new Linear(3, 4, true, backend(), 3); SGD opt = new SGD(lin, 0.1)) {
            backwardOnce(lin, new float[6], new float[] {1, 2, 3, 4, 5, 6, 7, 8}, "bias");
            lin.namedParameterObjects().values().forEach(p -> assertNotNull(p.grad()));
            opt.zeroGrad();
            lin.namedParameterObjects().values().forEach(p -> assertNull(p.grad()));
        }
    }

    @Test
    void stepSkipsParametersWithoutGradient() {
        Backend be = backend();
        List<Function<Module, Optimizer>> makers = List.of(m -> new SGD(m, 0.1).momentum(0.9),
                m -> new Adam(m, 0.1).amsgrad(true), m -> new AdamW(m, 0.1));
        for (Function<Module, Optimizer> make : makers) {
            try (Sequential seq = new Sequential(new Linear(3, 3, true, be, 1), new Linear(3, 2, true, be, 2));
                 Optimizer opt = make.apply(seq)) {
                Map<String, Parameter> params = seq.namedParameterObjects();
                assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), new ArrayList<>(params.keySet()));
                float[] w0 = params.get("0.weight").data().toArray();
                float[] b0 = params.get("0.bias").data().toArray();
                float[] w1 = params.get("1.weight").data().toArray();
                // only the second layer runs, so only its parameters get gradients
                try (Tensor x = be.upload(new float[] {1, -2, 3, 0.5f, 0.25f, -1}, Shape.of(2, 3));
                     Tensor dy = be.upload(new float[] {1, 2, -3, 4}, Shape.of(2, 2)); Tape tape = Tape.start();
                     Tensor y = seq.get(1).forward(x)) {
                    tape.backward(y, dy).close();
                }
                assertNull(params.get("0.weight").grad());
                assertNotNull(params.get("1.weight").grad());
                opt.step();
                String name = opt.getClass().getSimpleName();
                assertArrayEquals(w0, params.get("0.weight").data().toArray(), name + ": 0.weight had no gradient");
                assertArrayEquals(b0, params.get("0.bias").data().toArray(), name + ": 0.bias had no gradient");
                assertFalse(java.util.Arrays.equals(w1, params.get("1.weight").data().toArray()), name + ": 1.weight moved");
                assertEquals(0, opt.steps(0));
                assertEquals(0, opt.steps(1));
                assertEquals(1, opt.steps(2));
                assertEquals(1, opt.steps(3));
                Map<String, HostTensor> sd = opt.stateDict();
                assertTrue(sd.keySet().stream().noneMatch(k -> k.startsWith("state.0.") || k.startsWith("state.1.")),
                        name + ": no state for parameters that never had a gradient: " + sd.keySet());
                assertTrue(sd.containsKey("state.2.step") && sd.containsKey("state.3.step"), name + ": " + sd.keySet());
            }
        }
    }

    // ---- optimizer state ---------------------------------------------------------------------------

    private void trainLinear(Linear lin, Optimizer opt, int steps, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Loss mse = new MSELoss();
        Backend be = backend();
        for (int i = 0; i < steps; i++) {
            opt.zeroGrad();
            try (Tensor x = be.upload(TestData.randomFloats(rng, 6), Shape.of(2, 3));
                 Tensor t = be.upload(TestData.randomFloats(rng, 8), Shape.of(2, 4)); Tape tape = Tape.start();
                 Tensor y = lin.forward(x); Tensor l = mse.forward(y, t)) {
                tape.backward(l).close();
            }
            opt.step();
        }
    }

    private static void assertSameOptimizerState(Map<String, HostTensor> e, Map<String, HostTensor> a, String what) {
        assertEquals(e.keySet(), a.keySet(), what + ": keys");
        e.forEach((k, v) -> {
            assertEquals(v.dtype(), a.get(k).dtype(), what + ": " + k + " dtype");
            assertEquals(v.shape(), a.get(k).shape(), what + ": " + k + " shape");
            if (v.dtype() == DType.INT64) {
                assertArrayEquals(v.asLongs(), a.get(k).asLongs(), what + ": " + k);
            } else {
                assertArrayEquals(v.data(), a.get(k).data(), what + ": " + k);
            }
        });
    }

    @Test
    void optimizerStateRoundTripsThroughStateDictAndLoadState() {
        List<Function<Module, Optimizer>> makers = List.of(m -> new SGD(m, 0.1).momentum(0.9),
                m -> new Adam(m, 0.05).amsgrad(true), m -> new AdamW(m, 0.05));
        List<List<String>> stateNames = List.of(List.of("step", "momentum_buffer"),
                List.of("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"), List.of("step", "exp_avg", "exp_avg_sq"));
        for (int k = 0; k < makers.size(); k++) {
            try (Linear a = new Linear(3, 4, true, backend(), 1); Optimizer oa = makers.get(k).apply(a);
                 Linear b = new Linear(3, 4, true, backend(), 1); Optimizer ob = makers.get(k).apply(b)) {
                String name = oa.getClass().getSimpleName();
                assertTrue(oa.stateDict().isEmpty(), name + ": no state before the first step");
                trainLinear(a, oa, 3, 8);
                Map<String, HostTensor> sd = oa.stateDict();
                List<String> expectedKeys = new ArrayList<>();
                for (int p = 0; p < 2; p++) {
                    for (String s : stateNames.get(k)) {
                        expectedKeys.add("state." + p + "." + s);
                    }
                }
                assertEquals(expectedKeys.stream().sorted().toList(), sd.keySet().stream().sorted().toList(), name);
                assertEquals(DType.INT64, sd.get("state.0.step").dtype());
                assertEquals(3L, sd.get("state.0.step").asLongs()[0]);
                assertEquals(Shape.of(4, 3), sd.get("state.0." + stateNames.get(k).get(1)).shape());
                assertEquals(Shape.of(4), sd.get("state.1." + stateNames.get(k).get(1)).shape());
                StateDicts.load(b, StateDicts.of(a));
                ob.loadState(sd);
                assertSameOptimizerState(sd, ob.stateDict(), name + " after loadState");
                assertEquals(3, ob.steps(0));
                // both continue identically
                trainLinear(a, oa, 2, 9);
                trainLinear(b, ob, 2, 9);
                assertSameOptimizerState(oa.stateDict(), ob.stateDict(), name + " two steps after loadState");
                assertArrayEquals(a.weight().toArray(), b.weight().toArray(), name + ": weights");
                // an empty state_dict resets
                ob.loadState(Map.of());
                assertTrue(ob.stateDict().isEmpty(), name + ": loadState of an empty state_dict resets");
                assertEquals(0, ob.steps(0));
            }
        }
    }

    @Test
    void loadStateRejectsUnknownKeysAndWrongShapes() {
        try (Linear a = new Linear(3, 4, true, backend(), 1); SGD oa = new SGD(a, 0.1).momentum(0.9)) {
            trainLinear(a, oa, 1, 8);
            Map<String, HostTensor> sd = new java.util.LinkedHashMap<>(oa.stateDict());
            Map<String, HostTensor> extra = new java.util.LinkedHashMap<>(sd);
            extra.put("state.0.exp_avg", sd.get("state.0.momentum_buffer"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> oa.loadState(extra));
            assertTrue(e.getMessage().contains("state.0.exp_avg"), e.getMessage());
            Map<String, HostTensor> far = new java.util.LinkedHashMap<>(sd);
            far.put("state.7.step", sd.get("state.0.step"));
            e = assertThrows(IllegalArgumentException.class, () -> oa.loadState(far));
            assertTrue(e.getMessage().contains("state.7.step"), e.getMessage());
            Map<String, HostTensor> shape = new java.util.LinkedHashMap<>(sd);
            shape.put("state.0.momentum_buffer", new HostTensor(Shape.of(3, 4), new float[12]));
            e = assertThrows(IllegalArgumentException.class, () -> oa.loadState(shape));
            assertTrue(e.getMessage().contains("state.0.momentum_buffer") && e.getMessage().contains("weight"), e.getMessage());
        }
    }

    @Test
    void saveAndLoadRoundTripAndRejectAnotherKindOrOtherParameters(@TempDir Path dir) throws IOException {
        Path sgdFile = dir.resolve("sgd.safetensors");
        Path adamFile = dir.resolve("adam.safetensors");
        try (Linear a = new Linear(3, 4, true, backend(), 1); SGD sgd = new SGD(a, 0.1).momentum(0.9).dampening(0.1);
             Adam adam = new Adam(a, 0.01)) {
            trainLinear(a, sgd, 2, 8);
            trainLinear(a, adam, 2, 8);
            sgd.save(sgdFile);
            adam.save(adamFile);
            SafeTensors.Contents c = SafeTensors.read(sgdFile);
            assertEquals("sgd", c.metadata().get("optimizer"));
            assertTrue(c.metadata().get("param_names").contains("\"weight\""), c.metadata().toString());

            try (Linear b = new Linear(3, 4, true, backend(), 2); SGD again = new SGD(b, 0.1).momentum(0.9).dampening(0.1)) {
                again.load(sgdFile);
                assertSameOptimizerState(sgd.stateDict(), again.stateDict(), "SGD after save/load");
                assertEquals(describe(sgd.hyperParameters()), describe(again.hyperParameters()));
            }
            // another optimizer kind
            try (Linear b = new Linear(3, 4, true, backend(), 2); Adam other = new Adam(b, 0.01);
                 AdamW otherW = new AdamW(b, 0.01); SGD otherSgd = new SGD(b, 0.1).momentum(0.9)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.load(sgdFile));
                assertTrue(e.getMessage().contains("'sgd'") && e.getMessage().contains("'adam'"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> otherW.load(adamFile));
                assertTrue(e.getMessage().contains("'adam'") && e.getMessage().contains("'adamw'"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> otherSgd.load(adamFile));
                assertTrue(e.getMessage().contains("'adam'") && e.getMessage().contains("'sgd'"), e.getMessage());
                assertTrue(other.stateDict().isEmpty(), "a rejected load changes nothing");
            }
            // other parameter names
            Backend be = backend();
            try (Sequential seq = new Sequential(new Linear(3, 4, true, be, 2)); SGD other = new SGD(seq, 0.1).momentum(0.9)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.load(sgdFile));
                assertTrue(e.getMessage().contains("was saved for parameters") && e.getMessage().contains("0.weight"),
                        e.getMessage());
            }
        }
    }
}
