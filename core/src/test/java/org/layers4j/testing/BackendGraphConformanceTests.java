package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * The graph conformance cases ({@code fixtures/graphs}, made by {@code fixtures/gen_graphs.py}): a whole model
 * file per case, forward in eval or training mode, every output, the input and parameter gradients, the buffers
 * after a training forward and the parameters after one Adam step, against PyTorch.
 */
public abstract class BackendGraphConformanceTests {
    /** Every case the directory must hold: a lost file fails, it does not shrink the suite. */
    public static final List<String> CASES = Stream.of("convnext", "dense", "efficientnet", "mobilenet", "residual",
            "segment", "shufflenet", "unet").flatMap(f -> Stream.of(f + "_eval", f + "_train")).toList();

    protected abstract Backend backend();

    @Test
    void everyGraphCaseIsFound() throws IOException {
        List<String> found = ConformanceCase.find(List.of(TestData.graphFixtureDir())).stream()
                .map(p -> p.getFileName().toString().replaceFirst("\\.safetensors$", "")).toList();
        assertFalse(found.isEmpty(), "fixtures/graphs holds no case");
        assertEquals(CASES.stream().sorted().toList(), found);
    }

    @TestFactory
    Stream<DynamicTest> graphCaseMatchesPyTorch() {
        return CASES.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Path file = TestData.graphFixtureDir().resolve(name + ".safetensors");
            ConformanceCase c = ConformanceCase.load(file);
            assertEquals("graph", c.op());
            ConformanceCase.Result r = c.run(backend());
            assertTrue(r.passed(), () -> name + " failed: " + describe(r));
            // every expected tensor the file holds was compared
            Map<String, HostTensor> t = SafeTensors.read(file).tensors();
            long expected = t.keySet().stream().filter(k -> k.equals("output") || k.startsWith("output.")
                    || k.equals("grad_input") || k.startsWith("grad.") || k.startsWith("after.")
                    || k.startsWith("adam.")).count();
            assertEquals(expected, r.comparisons().size(), "tensors compared");
            assertEquals(c.training(), name.endsWith("_train"));
            assertEquals(c.training(), t.keySet().stream().anyMatch(k -> k.startsWith("adam.")), "adam in training cases");
        }));
    }

    @Test
    void aMutatedGradientIsDetected(@TempDir Path dir) throws IOException {
        assertDetects(dir, "residual_train", "grad.layer2.conv1.weight");
    }

    @Test
    void aMutatedSecondOutputIsDetected(@TempDir Path dir) throws IOException {
        assertDetects(dir, "segment_train", "output.aux");
    }

    @Test
    void aMutatedSecondOutputGradientChangesTheGradients(@TempDir Path dir) throws IOException {
        // grad_output.aux is part of the loss: negating it must change the (stored, unchanged) gradients
        SafeTensors.Contents c = SafeTensors.read(TestData.graphFixtureDir().resolve("segment_eval.safetensors"));
        Map<String, HostTensor> t = new LinkedHashMap<>(c.tensors());
        HostTensor g = t.get("grad_output.aux");
        float[] v = g.data().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] = -v[i];
        }
        t.put("grad_output.aux", new HostTensor(g.shape(), v));
        ConformanceCase.Result r = ConformanceCase.load(write(dir, "segment_eval", new SafeTensors.Contents(t,
                c.metadata()))).run(backend());
        assertFalse(r.passed());
        assertTrue(r.comparisons().stream().anyMatch(x -> !x.passed() && x.tensor().equals("grad.aux.0.weight")),
                () -> describe(r));
    }

    @Test
    void aMutatedBufferAndAdamStepAreDetected(@TempDir Path dir) throws IOException {
        assertDetects(dir, "dense_train", "after.features.norm0.running_var");
        assertDetects(dir, "unet_train", "adam.up2.weight");
    }

    @Test
    void aCaseWithoutAStateDictEntryCannotRun(@TempDir Path dir) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(TestData.graphFixtureDir().resolve("convnext_eval.safetensors"));
        Map<String, HostTensor> t = new LinkedHashMap<>(c.tensors());
        t.remove("classifier.2.weight");
        Path file = dir.resolve("broken.safetensors");
        SafeTensors.write(file, t, c.metadata());
        ConformanceCase broken = ConformanceCase.load(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> broken.run(backend()));
        assertTrue(e.getMessage().contains("classifier.2.weight"), e.getMessage());
    }

    @Test
    void saveComputedWritesWhatWasComparedAndEveryReluOutput(@TempDir Path dir) throws IOException {
        Path file = TestData.graphFixtureDir().resolve("residual_train.safetensors");
        SafeTensors.Contents c = SafeTensors.read(file);
        ConformanceCase.Result r = ConformanceCase.load(file).run(backend(), null, dir);
        assertTrue(r.passed(), () -> describe(r));
        Map<String, HostTensor> got = SafeTensors.read(dir.resolve("residual_train.computed.safetensors")).tensors();
        // every compared tensor, as computed: within the pass rule of the case's value, and not the case's copy
        for (ConformanceCase.Comparison x : r.comparisons()) {
            HostTensor a = got.get(x.tensor());
            HostTensor e = c.tensors().get(x.tensor());
            assertTrue(a != null, "missing " + x.tensor());
            assertEquals(e.shape(), a.shape(), x.tensor());
            if (e.data() != null) {
                double err = 0;
                for (int i = 0; i < e.data().length; i++) {
                    err = Math.max(err, Math.abs(a.data()[i] - e.data()[i]));
                }
                assertEquals(x.maxError(), err, 1e-12, x.tensor());
            }
        }
        // one relu.<node> per ReLU node of the graph (nn.ReLU calls and F.relu), each >= 0 and shaped as its input
        String graph = c.metadata().get("graph");
        List<String> relus = got.keySet().stream().filter(k -> k.startsWith("relu.")).toList();
        // the fixture's ReLU nodes as torch.fx traced them (scripts/train_replay.py relu-nodes)
        assertEquals(List.of("relu", "layer1_relu", "layer1_relu_1", "layer2_relu", "layer2_relu_1", "layer3_relu",
                "layer3_relu_1", "layer3_relu_2").stream().map(n -> "relu." + n).sorted().toList(),
                relus.stream().sorted().toList());
        for (String k : relus) {
            assertTrue(graph.contains("\"" + k.substring(5) + "\""), k + " is no node of the graph");
            float[] v = got.get(k).data();
            boolean positive = false;
            for (float f : v) {
                assertTrue(f >= 0, k);
                positive |= f > 0;
            }
            assertTrue(positive, k + " is all zero");
        }
        assertEquals(r.comparisons().size() + relus.size(), got.size());
    }

    @Test
    void saveTrainedWritesTheSteppedModel(@TempDir Path dir) throws IOException {
        Path file = TestData.graphFixtureDir().resolve("mobilenet_train.safetensors");
        ConformanceCase c = ConformanceCase.load(file);
        assertTrue(c.run(backend(), dir).passed());
        Map<String, HostTensor> expected = SafeTensors.read(file).tensors();
        try (Module m = Models.load(dir.resolve("mobilenet_train.safetensors"), backend())) {
            Map<String, HostTensor> state = StateDicts.of(m);
            int params = 0;
            for (String p : m.namedParameterObjects().keySet()) {
                String bad = TestData.mismatch(state.get(p).data(), TestData.toDouble(expected.get("adam." + p).data()));
                assertEquals(null, bad, p);
                params++;
            }
            assertTrue(params > 0);
            m.buffers().keySet().forEach(b -> assertEquals(List.of(expected.get("after." + b).shape()),
                    List.of(state.get(b).shape()), b));
        }
        // an eval case writes nothing
        ConformanceCase.load(TestData.graphFixtureDir().resolve("mobilenet_eval.safetensors")).run(backend(), dir);
        assertFalse(dir.resolve("mobilenet_eval.safetensors").toFile().exists());
    }

    private void assertDetects(Path dir, String name, String tensor) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(TestData.graphFixtureDir().resolve(name + ".safetensors"));
        ConformanceCase.Result r = ConformanceCase.load(write(dir, name, mutated(c, tensor))).run(backend());
        assertFalse(r.passed(), name + " with a mutated " + tensor + " passed");
        assertEquals(List.of(tensor), r.comparisons().stream().filter(x -> !x.passed())
                .map(ConformanceCase.Comparison::tensor).toList(), () -> describe(r));
    }

    /** The case's tensors with one element of {@code tensor} moved by 1e-3 * max(1, max|t|), 10 times the tolerance. */
    private static SafeTensors.Contents mutated(SafeTensors.Contents c, String tensor) {
        Map<String, HostTensor> t = new LinkedHashMap<>(c.tensors());
        HostTensor h = t.get(tensor);
        float[] v = h.data().clone();
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        v[v.length / 2] += (float) (1e-3 * Math.max(1, max));
        t.put(tensor, new HostTensor(h.shape(), v));
        return new SafeTensors.Contents(t, c.metadata());
    }

    private static Path write(Path dir, String name, SafeTensors.Contents c) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        SafeTensors.write(file, c.tensors(), c.metadata());
        return file;
    }

    private static String describe(ConformanceCase.Result r) {
        return r.comparisons().stream().filter(x -> !x.passed())
                .map(x -> x.tensor() + " max error " + x.maxError() + " > " + x.tolerance() + " " + x.problem())
                .collect(Collectors.joining("; "));
    }
}
