package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.io.HostTensor;
import org.layers4j.io.LayerSpecs;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.models.ResNet;
import org.layers4j.models.TextCNN;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * Whole models against PyTorch on one backend: torchvision's ResNet-18 from a torchvision state_dict
 * (eval and training mode, with BatchNorm's running statistics), the TextCNN, and model files written
 * by {@code scripts/torch_models.py}. References: {@code fixtures/models}, made by
 * {@code scripts/gen_model_refs.py} and {@code scripts/torch_models.py}.
 */
public abstract class BackendModelTests {

    protected abstract Backend backend();

    private static Path models() {
        return TestData.fixtureDir().resolveSibling("models");
    }

    private static Map<String, HostTensor> stateDictOf(SafeTensors.Contents c, Module m) {
        Map<String, HostTensor> sd = new LinkedHashMap<>();
        m.stateDict().keySet().forEach(k -> sd.put(k, c.tensor(k)));
        return sd;
    }

    private Tensor upload(HostTensor t) {
        return t.dtype() == DType.INT64 ? backend().upload(t.longs(), t.shape()) : backend().upload(t.data(), t.shape());
    }

    static void assertClose(String what, HostTensor expected, Tensor actual) {
        assertEquals(expected.shape(), actual.shape(), what + " shape");
        float[] e = expected.data();
        float[] a = actual.toArray();
        double maxAbs = 0;
        double maxErr = 0;
        for (int i = 0; i < e.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(e[i]));
            maxErr = Math.max(maxErr, Math.abs((double) a[i] - e[i]));
        }
        double tol = ConformanceCase.TOLERANCE * Math.max(1, maxAbs);
        double err = maxErr;
        assertTrue(err <= tol, () -> what + ": max error " + err + " > " + tol);
    }

    @Test
    void resnet18LoadsATorchvisionStateDictStrictlyAndMatchesItsEvalOutputAndGradients() throws IOException {
        SafeTensors.Contents c = SafeTensors.read(models().resolve("resnet18.safetensors"));
        try (ResNet net = ResNet.resnet18(10, backend())) {
            StateDicts.load(net, stateDictOf(c, net));
            long fileStateDict = c.tensors().keySet().stream().filter(k -> !List.of("input", "output", "grad_output").contains(k)
                    && !k.startsWith("grad.") && !k.startsWith("train.") && !k.startsWith("after.")).count();
            assertEquals(fileStateDict, net.stateDict().size(), "every torchvision state_dict key is one of ResNet's");
            net.eval();
            try (Tensor x = upload(c.tensor("input")); Tensor dy = upload(c.tensor("grad_output")); Tape tape = Tape.start()) {
                Tensor y = net.forward(x);
                assertClose("output", c.tensor("output"), y);
                try (Gradients g = tape.backward(y, dy)) {
                    assertNotNull(g.of(x));
                }
                Map<String, Parameter> params = net.namedParameterObjects();
                for (String p : List.of("conv1.weight", "fc.weight", "layer4.1.bn2.weight")) {
                    assertClose("grad." + p, c.tensor("grad." + p), params.get(p).grad());
                }
                y.close();
            }
        }
    }

    @Test
    void resnet18InTrainingModeMatchesTorchvisionIncludingRunningStatistics() throws IOException {
        SafeTensors.Contents c = SafeTensors.read(models().resolve("resnet18.safetensors"));
        try (ResNet net = ResNet.resnet18(10, backend())) {
            StateDicts.load(net, stateDictOf(c, net));
            net.train();
            try (Tensor x = upload(c.tensor("input")); Tensor dy = upload(c.tensor("grad_output")); Tape tape = Tape.start()) {
                Tensor y = net.forward(x);
                assertClose("train.output", c.tensor("train.output"), y);
                tape.backward(y, dy).close();
                Map<String, Parameter> params = net.namedParameterObjects();
                for (String p : List.of("conv1.weight", "fc.weight", "layer4.1.bn2.weight")) {
                    assertClose("train.grad." + p, c.tensor("train.grad." + p), params.get(p).grad());
                }
                y.close();
            }
            int checked = 0;
            for (Map.Entry<String, Tensor> b : net.buffers().entrySet()) {
                HostTensor expected = c.tensor("after." + b.getKey());
                if (expected.dtype() == DType.INT64) {
                    assertArrayEquals(expected.longs(), b.getValue().toLongArray(), b.getKey());
                } else {
                    assertClose("after." + b.getKey(), expected, b.getValue());
                }
                checked++;
            }
            assertEquals(60, checked, "20 BatchNorms x 3 buffers");
        }
    }

    @Test
    void resnet18And34HaveTorchvisionsStateDictNamesAndShapes() {
        try (ResNet r18 = ResNet.resnet18(1000, backend()); ResNet r34 = ResNet.resnet34(1000, backend())) {
            Map<String, Tensor> sd = r18.stateDict();
            assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                    "bn1.num_batches_tracked", "layer1.0.conv1.weight"), sd.keySet().stream().limit(7).toList());
            assertEquals("[128, 64, 1, 1]", sd.get("layer2.0.downsample.0.weight").shape().dimsString());
            assertEquals("[1000, 512]", sd.get("fc.weight").shape().dimsString());
            assertEquals(122, sd.size());
            long params18 = r18.parameters().values().stream().mapToLong(t -> t.shape().size()).sum();
            long params34 = r34.parameters().values().stream().mapToLong(t -> t.shape().size()).sum();
            assertEquals(11_689_512L, params18, "torchvision resnet18 parameter count");
            assertEquals(21_797_672L, params34, "torchvision resnet34 parameter count");
            assertTrue(r34.stateDict().containsKey("layer3.5.bn2.running_var"));
        }
    }

    @Test
    void textCnnFromPyTorchMatchesItsOutputAndGradients() throws IOException {
        SafeTensors.Contents c = SafeTensors.read(models().resolve("textcnn.safetensors"));
        try (TextCNN net = new TextCNN(50, 8, 6, 3, 3, 0, backend())) {
            StateDicts.load(net, stateDictOf(c, net));
            net.eval();
            try (Tensor x = upload(c.tensor("input")); Tensor dy = upload(c.tensor("grad_output")); Tape tape = Tape.start()) {
                Tensor y = net.forward(x);
                assertClose("output", c.tensor("output"), y);
                tape.backward(y, dy).close();
                net.namedParameterObjects().forEach((p, param) -> assertClose("grad." + p, c.tensor("grad." + p), param.grad()));
                y.close();
            }
        }
    }

    @Test
    void modelFilesWrittenByPyTorchLoadAndGivePyTorchsOutput() throws IOException {
        for (String name : List.of("lenet", "vgg_bn", "embed_mlp")) {
            try (Module m = Models.load(models().resolve(name + "_model.safetensors"), backend());
                 Tensor x = upload(SafeTensors.read(models().resolve(name + "_input.safetensors")).tensor("input"));
                 Tensor y = m.forward(x)) {
                assertTrue(!m.isTraining(), "a loaded model is in eval mode");
                assertClose(name, SafeTensors.read(models().resolve(name + "_output.safetensors")).tensor("output"), y);
            }
        }
    }

    @Test
    void aSavedModelFileLoadsBackWithTheSameArchitectureStateAndOutput(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("vgg.safetensors");
        try (Module m = Models.load(models().resolve("vgg_bn_model.safetensors"), backend())) {
            Models.save(m, file);
            try (Module back = Models.load(file, backend());
                 Tensor x = upload(SafeTensors.read(models().resolve("vgg_bn_input.safetensors")).tensor("input"));
                 Tensor y1 = m.forward(x); Tensor y2 = back.forward(x)) {
                assertEquals(m.toString(), back.toString());
                assertArrayEquals(y1.toArray(), y2.toArray());
                assertEquals(m.stateDict().keySet(), back.stateDict().keySet());
            }
        }
    }

    @Test
    void aStateDictWithAMissingBufferIsRejectedWithPyTorchsMessage() throws IOException {
        SafeTensors.Contents c = SafeTensors.read(models().resolve("resnet18.safetensors"));
        try (ResNet net = ResNet.resnet18(10, backend())) {
            Map<String, HostTensor> sd = stateDictOf(c, net);
            sd.remove("bn1.running_var");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDicts.load(net, sd));
            assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"bn1.running_var\""), e.getMessage());
        }
    }

    @Test
    void everyLayerSpecOfTheFixturesDescribesItselfBackAndUnknownOpsAndArgumentsAreRejected() throws IOException {
        int n = 0;
        for (Path file : ConformanceCase.find(List.of(TestData.layerFixtureDir(), TestData.fixtureDir()))) {
            ConformanceCase c = ConformanceCase.load(file);
            try (Module m = c.buildModule(backend())) {
                Map<String, Object> spec = LayerSpecs.describe(m);
                try (Module again = LayerSpecs.build(spec, backend())) {
                    assertEquals(spec, LayerSpecs.describe(again), file.getFileName().toString());
                    assertEquals(m.toString(), again.toString());
                }
            }
            n++;
        }
        assertEquals(BackendConformanceTests.FIXTURE_COUNT + BackendConformanceTests.LAYER_FIXTURE_COUNT, n);
        IllegalArgumentException unknownOp = assertThrows(IllegalArgumentException.class,
                () -> LayerSpecs.build("{\"op\": \"conv3d\"}", backend()));
        assertTrue(unknownOp.getMessage().contains("unknown layer op 'conv3d'"), unknownOp.getMessage());
        IllegalArgumentException unknownArg = assertThrows(IllegalArgumentException.class,
                () -> LayerSpecs.build("{\"op\": \"relu\", \"inplace\": true, \"bogus\": 1}", backend()));
        assertTrue(unknownArg.getMessage().contains("unknown argument(s) [bogus]"), unknownArg.getMessage());
    }
}
