package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node.Ref;
import org.layers4j.internal.Json;
import org.layers4j.io.HostTensor;
import org.layers4j.io.LayerSpecs;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.norm.BatchNorm1d;
import org.layers4j.spi.Backend;

/** Issue 25: loading a model file allocates only what the file holds; hostile specs are refused by name. */
class ModelLoadingBoundsTest {
    private final Backend be = Backends.get("cpu");

    /** A sequential file of one layer spec over the given tensors. */
    private static SafeTensors.Contents sequential(String layerJson, Map<String, HostTensor> tensors) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("op", "sequential");
        meta.put("layers", "[" + layerJson + "]");
        return SafeTensors.parse(SafeTensors.serialize(tensors, meta));
    }

    private static Map<String, HostTensor> small(String... names) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (String n : names) {
            t.put(n, new HostTensor(Shape.of(4, 4), new float[16]));
        }
        return t;
    }

    private IllegalArgumentException refused(SafeTensors.Contents c) {
        long t0 = System.nanoTime();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.fromContents(c, be));
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "took too long");
        return e;
    }

    @Test
    void aHugeLinearOverSmallTensorsIsASizeMismatchNotAnOutOfMemoryError() {
        IllegalArgumentException e = refused(sequential("{\"op\": \"linear\", \"in_features\": 46000, \"out_features\": 46000}",
                small("0.weight", "0.bias")));
        assertTrue(e.getMessage().contains("size mismatch for 0.weight: copying a param with shape torch.Size([4, 4])"
                + " from checkpoint, the shape in current model is torch.Size([46000, 46000])."), e.getMessage());
        assertTrue(e.getMessage().contains("size mismatch for 0.bias"), e.getMessage());
    }

    @Test
    void aHugeBatchNormOrEmbeddingIsRefusedBeforeAllocating() {
        IllegalArgumentException bn = refused(sequential("{\"op\": \"batchnorm1d\", \"num_features\": 2147483647}",
                small("0.weight", "0.bias", "0.running_mean", "0.running_var", "0.num_batches_tracked")));
        assertTrue(bn.getMessage().contains("size mismatch for 0.running_var"), bn.getMessage());
        IllegalArgumentException emb = refused(sequential("{\"op\": \"embedding\", \"num_embeddings\": 100000,"
                + " \"embedding_dim\": 100000}", small("0.weight")));
        assertTrue(emb.getMessage().contains("layer 0: embedding: its weight would have [100000, 100000]"),
                emb.getMessage());
        IllegalArgumentException conv = refused(sequential("{\"op\": \"conv2d\", \"in_channels\": 65536, \"out_channels\":"
                + " 65536, \"kernel_size\": 3}", small("0.weight", "0.bias")));
        assertTrue(conv.getMessage().contains("more than a tensor holds"), conv.getMessage());
    }

    @Test
    void emptyZeroNegativeAndMissingArgumentsAreNamed() {
        assertTrue(refused(sequential("{\"op\": \"adaptiveavgpool1d\", \"output_size\": []}", Map.of()))
                .getMessage().contains("'output_size' must not be an empty list"));
        assertTrue(refused(sequential("{\"op\": \"linear\", \"in_features\": 0, \"out_features\": 4}", small("0.weight")))
                .getMessage().contains("layer 0: linear: 'in_features' must be >= 1, got 0"));
        assertTrue(refused(sequential("{\"op\": \"conv1d\", \"in_channels\": 4, \"out_channels\": 4, \"kernel_size\": -3}",
                small("0.weight"))).getMessage().contains("'kernel_size' must hold integers >= 1"));
        assertTrue(refused(sequential("{\"op\": \"groupnorm\", \"num_groups\": 3, \"num_channels\": 4}", small("0.weight")))
                .getMessage().contains("must divide"));
        assertTrue(refused(sequential("{\"op\": \"layernorm\", \"normalized_shape\": []}", Map.of()))
                .getMessage().contains("'normalized_shape' must not be an empty list"));
        assertTrue(refused(sequential("{\"op\": \"linear\", \"out_features\": 4}", small("0.weight")))
                .getMessage().contains("missing argument 'in_features'"));
        assertTrue(refused(sequential("{\"op\": \"linear\", \"in_features\": 1000000000000, \"out_features\": 4}",
                small("0.weight"))).getMessage().contains("'in_features' must be an integer"));
    }

    @Test
    void missingAndUnexpectedKeysAreFoundBeforeBuilding() {
        IllegalArgumentException e = refused(sequential("{\"op\": \"batchnorm1d\", \"num_features\": 4}",
                Map.of("0.weight", new HostTensor(Shape.of(4), new float[4]), "extra", new HostTensor(Shape.of(1),
                        new float[1]))));
        assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"0.bias\", \"0.running_mean\""), e.getMessage());
        assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"extra\""), e.getMessage());
    }

    @Test
    void theSpecsStateShapesAreTheBuiltModulesForEveryLayerWithState() {
        List<String> specs = List.of(
                "{\"op\": \"conv1d\", \"in_channels\": 4, \"out_channels\": 6, \"kernel_size\": 3, \"groups\": 2}",
                "{\"op\": \"conv2d\", \"in_channels\": 3, \"out_channels\": 5, \"kernel_size\": [3, 2], \"bias\": false}",
                "{\"op\": \"conv2d\", \"in_channels\": 3, \"out_channels\": 5, \"kernel_size\": 3}",
                "{\"op\": \"convtranspose1d\", \"in_channels\": 4, \"out_channels\": 6, \"kernel_size\": 3, \"groups\": 2}",
                "{\"op\": \"convtranspose2d\", \"in_channels\": 3, \"out_channels\": 5, \"kernel_size\": [2, 3]}",
                "{\"op\": \"linear\", \"in_features\": 7, \"out_features\": 3}",
                "{\"op\": \"embedding\", \"num_embeddings\": 9, \"embedding_dim\": 2, \"padding_idx\": 0}",
                "{\"op\": \"batchnorm2d\", \"num_features\": 3}",
                "{\"op\": \"batchnorm1d\", \"num_features\": 3, \"affine\": false}",
                "{\"op\": \"batchnorm1d\", \"num_features\": 3, \"track_running_stats\": false}",
                "{\"op\": \"layernorm\", \"normalized_shape\": [2, 3]}",
                "{\"op\": \"groupnorm\", \"num_groups\": 2, \"num_channels\": 4}",
                "{\"op\": \"sequential\", \"layers\": [{\"op\": \"relu\"}, {\"op\": \"linear\", \"in_features\": 2,"
                        + " \"out_features\": 2}]}",
                "{\"op\": \"maxpool2d\", \"kernel_size\": 2}");
        for (String s : specs) {
            try (Module m = LayerSpecs.build(s, be)) {
                Map<String, Shape> built = new LinkedHashMap<>();
                m.stateDict().forEach((k, t) -> built.put(k, t.shape()));
                assertEquals(built, LayerSpecs.stateShapes(Json.parseObject(s)), s);
                assertEquals(List.copyOf(built.keySet()), List.copyOf(LayerSpecs.stateShapes(Json.parseObject(s)).keySet()), s);
            }
        }
    }

    @Test
    void aGraphFileDeclaringAHugeLayerIsRefusedWithTheModulesName() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        g.output(g.callModule("head.fc", x));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("head", Map.of("op", Graph.CONTAINER));
        modules.put("head.fc", Map.of("op", "linear", "in_features", 4L, "out_features", 2L));
        SafeTensors.Contents valid;
        try (GraphModule model = new GraphModule(g.build(modules), be)) {
            valid = SafeTensors.parse(SafeTensors.serialize(StateDicts.of(model), Models.metadata(model)));
        }
        try (Module ok = Models.fromContents(valid, be)) {
            assertEquals(Shape.of(2, 4), ok.stateDict().get("head.fc.weight").shape());
        }
        Map<String, String> meta = new LinkedHashMap<>(valid.metadata());
        meta.put("graph", meta.get("graph").replace("\"in_features\":4", "\"in_features\":46000")
                .replace("\"out_features\":2", "\"out_features\":46000"));
        IllegalArgumentException e = refused(SafeTensors.parse(SafeTensors.serialize(valid.tensors(), meta)));
        assertTrue(e.getMessage().contains("size mismatch for head.fc.weight"), e.getMessage());
        meta.put("graph", valid.metadata().get("graph").replace("\"in_features\":4", "\"in_features\":-4"));
        e = refused(SafeTensors.parse(SafeTensors.serialize(valid.tensors(), meta)));
        assertTrue(e.getMessage().contains("module 'head.fc': linear: 'in_features' must be >= 1, got -4"), e.getMessage());
    }

    @Test
    void allocatingMoreThanAnArrayOrTheHeapHoldsIsAnIllegalArgumentNamingTheSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.allocate(Shape.of(Integer.MAX_VALUE)));
        assertTrue(e.getMessage().contains("[2147483647]") && e.getMessage().contains("2147483647 elements"), e.getMessage());
        int n = (int) Math.min(Integer.MAX_VALUE - 16L, Runtime.getRuntime().maxMemory() / 8 + 1);
        if (Runtime.getRuntime().maxMemory() / 4 < Integer.MAX_VALUE - 16L) {
            int big = (int) (Runtime.getRuntime().maxMemory() / 4 + 1);
            IllegalArgumentException h = assertThrows(IllegalArgumentException.class, () -> be.allocate(Shape.of(big)));
            assertTrue(h.getMessage().contains("-Xmx"), h.getMessage());
        }
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class,
                () -> be.allocate(Shape.of(n, 2), org.layers4j.DType.INT64));
        assertTrue(l.getMessage().contains("int64"), l.getMessage());
        assertThrows(IllegalArgumentException.class, () -> be.allocate(Shape.of(65536, 65536))); // Shape.size() refuses it
    }

    @Test
    void nonStrictLoadingLoadsTheCommonKeysAndReturnsTheOthers(@TempDir Path dir) throws Exception {
        try (Sequential src = new Sequential(new Linear(3, 2, true, be, 1), new ReLU(be));
             Sequential dst = new Sequential(new Linear(3, 2, true, be, 2), new BatchNorm1d(2, 1e-5, 0.1, true, true, be))) {
            Map<String, HostTensor> sd = new LinkedHashMap<>(StateDicts.of(src));
            sd.put("9.extra", new HostTensor(Shape.of(1), new float[] {1}));
            StateDicts.IncompatibleKeys keys = StateDicts.load(dst, sd, false);
            assertEquals(List.of("1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"),
                    keys.missingKeys());
            assertEquals(List.of("9.extra"), keys.unexpectedKeys());
            assertTrue(java.util.Arrays.equals(src.stateDict().get("0.weight").toArray(),
                    dst.stateDict().get("0.weight").toArray()));
            // strict: the same state_dict is refused, in PyTorch's words
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDicts.load(dst, sd, true));
            assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"1.weight\""), e.getMessage());
            assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"9.extra\""), e.getMessage());
            // a size mismatch is an error even when not strict, and nothing changes
            float[] before = dst.stateDict().get("0.bias").toArray();
            sd.put("0.bias", new HostTensor(Shape.of(3), new float[] {7, 7, 7}));
            IllegalArgumentException m = assertThrows(IllegalArgumentException.class, () -> StateDicts.load(dst, sd, false));
            assertTrue(m.getMessage().contains("size mismatch for 0.bias: copying a param with shape torch.Size([3])"),
                    m.getMessage());
            assertTrue(java.util.Arrays.equals(before, dst.stateDict().get("0.bias").toArray()));
            // the Path overload
            Path f = dir.resolve("sd.safetensors");
            StateDicts.save(src, f);
            StateDicts.IncompatibleKeys fromFile = StateDicts.load(dst, f, false);
            assertEquals(5, fromFile.missingKeys().size());
            assertEquals(List.of(), fromFile.unexpectedKeys());
            assertTrue(Files.size(f) > 0);
            try (Tensor in = be.upload(new float[] {1, 2, 3}, Shape.of(1, 3))) {
                dst.eval();
                dst.forward(in).close();
            }
        }
    }
}
