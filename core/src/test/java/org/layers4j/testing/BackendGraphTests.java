package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphJson;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.GraphTracer;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.models.ResNet;
import org.layers4j.models.TextCNN;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * Graph models on one backend: Java models saved as graph files run exactly as the Java model (eval and
 * training: outputs, every parameter gradient, BatchNorm buffers), get_attr parameters get gradients,
 * tuple and dict outputs, shape arithmetic per call, and every rule a bad graph breaks is named.
 */
public abstract class BackendGraphTests {
    protected abstract Backend backend();

    private Tensor randomInput(Shape s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return backend().upload(v, s);
    }

    private static void randomizeState(Module m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        m.stateDict().forEach((k, t) -> {
            if (t.dtype() == org.layers4j.DType.FLOAT32) {
                float[] v = new float[t.shape().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = k.endsWith("running_var") ? (float) (0.5 + r.nextDouble()) : (float) (r.nextDouble() - 0.5);
                }
                m.setParameter(k, v);
            }
        });
    }

    @Test
    void resnet18SavedAsAGraphFileGivesTheJavaModelsOutputsAndGradientsBitForBit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("resnet18.safetensors");
        try (ResNet net = ResNet.resnet18(7, backend())) {
            randomizeState(net, 1);
            Models.save(net, file);
            // the graph as it is (Models.load would compile it for inference: BatchNorm folding rounds differently)
            try (Module loaded = Models.fromContents(SafeTensors.read(file), backend());
                 Module compiled = Models.load(file, backend())) {
                assertInstanceOf(GraphModule.class, loaded);
                assertEquals(new ArrayList<>(net.stateDict().keySet()), new ArrayList<>(loaded.stateDict().keySet()),
                        "state_dict names and order");
                net.eval();
                loaded.eval();
                try (Tensor x = randomInput(Shape.of(2, 3, 40, 40), 2); Tensor a = net.forward(x);
                     Tensor b = loaded.forward(x); Tensor c = compiled.forward(x)) {
                    assertArrayEquals(a.toArray(), b.toArray(), "eval output");
                    assertEquals(null, TestData.mismatch(c.toArray(), TestData.toDouble(a.toArray())), "compiled");
                }
                net.train();
                loaded.train();
                try (Tensor x = randomInput(Shape.of(2, 3, 32, 32), 3); Tensor dy = randomInput(Shape.of(2, 7), 4)) {
                    for (Module m : List.of(net, loaded)) {
                        try (Tape tape = Tape.start(); Tensor y = m.forward(x)) {
                            tape.backward(y, dy).close();
                        }
                    }
                    Map<String, Parameter> pa = net.namedParameterObjects();
                    Map<String, Parameter> pb = loaded.namedParameterObjects();
                    for (String k : pa.keySet()) {
                        assertArrayEquals(pa.get(k).grad().toArray(), pb.get(k).grad().toArray(), "grad " + k);
                    }
                    net.buffers().forEach((k, t) -> {
                        if (t.dtype() == org.layers4j.DType.INT64) {
                            assertArrayEquals(t.toLongArray(), loaded.buffers().get(k).toLongArray(), k);
                        } else {
                            assertArrayEquals(t.toArray(), loaded.buffers().get(k).toArray(), k);
                        }
                    });
                }
            }
        }
    }

    @Test
    void resnet18SavedFromJavaWithTorchvisionsWeightsGivesTorchvisionsOutput(@TempDir Path dir) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(TestData.fixtureDir().resolveSibling("models").resolve("resnet18.safetensors"));
        Path file = dir.resolve("resnet18-graph.safetensors");
        try (ResNet net = ResNet.resnet18(10, backend())) {
            Map<String, HostTensor> sd = new LinkedHashMap<>();
            net.stateDict().keySet().forEach(k -> sd.put(k, c.tensor(k)));
            StateDicts.load(net, sd);
            Models.save(net, file);
        }
        try (Module loaded = Models.load(file, backend());
             Tensor x = backend().upload(c.tensor("input").data(), c.tensor("input").shape());
             Tensor y = loaded.forward(x)) {
            BackendModelTests.assertClose("torchvision's output", c.tensor("output"), y);
            try (Tensor flat = backend().upload(new float[12], Shape.of(4, 3))) {
                String e = assertThrows(IllegalArgumentException.class, () -> loaded.forward(flat)).getMessage();
                assertTrue(e.startsWith("node 'conv1' (call_module conv1): "), e);
            }
        }
    }

    @Test
    void textCnnSavedAsAGraphFileUsesShapeArithmeticPerCall(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("textcnn.safetensors");
        try (TextCNN net = new TextCNN(20, 6, 5, 3, 4, 0, backend())) {
            randomizeState(net, 5);
            net.eval();
            Models.save(net, file);
            try (Module loaded = Models.load(file, backend())) {
                for (int len : new int[] {5, 9}) { // the view's sizes come from the input, per call
                    long[] ids = new long[2 * len];
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = (i * 7L) % 20;
                    }
                    try (Tensor t = backend().upload(ids, Shape.of(2, len)); Tensor a = net.forward(t);
                         Tensor b = loaded.forward(t)) {
                        assertArrayEquals(a.toArray(), b.toArray(), "length " + len);
                    }
                }
            }
        }
    }

    @Test
    void getAttrParametersReceiveGradientsAndTupleAndDictOutputsAreNamed() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref scale = g.attr("block.scale");
        Ref sum = g.call("add", x, scale);
        Ref r = g.call("relu", sum);
        g.output(dict(r, List.of(sum, x)));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("block", Map.of("op", Graph.CONTAINER, "parameters", Map.of("scale", List.of(2L, 3L))));
        try (GraphModule m = new GraphModule(g.build(modules), backend())) {
            m.setParameter("block.scale", new float[] {1, -1, 2, -2, 3, -3});
            try (Tensor in = backend().upload(new float[] {0, 0, -3, 3, 1, 1}, Shape.of(2, 3)); Tape tape = Tape.start()) {
                Map<String, Tensor> out = m.forwardNamed(in);
                assertEquals(List.of("out", "aux.0", "aux.1"), new ArrayList<>(out.keySet()));
                assertArrayEquals(new float[] {1, 0, 0, 1, 4, 0}, out.get("out").toArray());
                assertArrayEquals(new float[] {0, 0, -3, 3, 1, 1}, out.get("aux.1").toArray(), "an input as an output");
                try (Tensor ones = backend().upload(new float[] {1, 1, 1, 1, 1, 1}, Shape.of(2, 3))) {
                    tape.backward(out.get("out"), ones).close();
                }
                assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0}, m.namedParameterObjects().get("block.scale").grad().toArray());
                out.values().forEach(Tensor::close);
            }
        }
    }

    @Test
    void anObserverSeesEveryNodesValueInOrderBeforeItIsFreed() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref doubled = g.call("add", x, x);
        Ref r = g.call("relu", doubled);
        g.output(g.call("neg", r));
        try (GraphModule m = new GraphModule(g.build(new LinkedHashMap<>()), backend())) {
            List<String> seen = new ArrayList<>();
            Map<String, float[]> values = new LinkedHashMap<>();
            m.observe((node, module, value) -> {
                seen.add(node.name());
                values.put(node.name(), ((Tensor) value).toArray());
            });
            try (Tensor in = backend().upload(new float[] {-1, 2}, Shape.of(2)); Tensor y = m.forward(in)) {
                assertArrayEquals(new float[] {0, -4}, y.toArray(), 0f);
            }
            assertEquals(4, seen.size(), "placeholder, add, relu, neg: " + seen);
            assertArrayEquals(new float[] {-2, 4}, values.get(seen.get(1)));
            assertArrayEquals(new float[] {0, 4}, values.get(seen.get(2)), "relu's value, although neg frees it");
            m.observe(null);
            seen.clear();
            try (Tensor in = backend().upload(new float[] {1, 1}, Shape.of(2)); Tensor y = m.forward(in)) {
                assertTrue(seen.isEmpty(), "removed observer still called");
            }
        }
    }

    @Test
    void aGraphOfAHundredThousandNodesLoadsAndRunsWithoutDeepRecursion() {
        GraphBuilder g = new GraphBuilder();
        Ref h = g.input("x");
        for (int i = 0; i < 100_000; i++) {
            h = g.call("relu", h);
        }
        g.output(h);
        Graph graph = GraphJson.parse(GraphJson.write(g.build(Map.of())));
        assertEquals(100_002, graph.nodes().size());
        try (GraphModule m = new GraphModule(graph, backend()).seed(1);
             Tensor x = backend().upload(new float[] {-1, 2}, Shape.of(2)); Tensor y = m.forward(x)) {
            assertArrayEquals(new float[] {0, 2}, y.toArray());
            assertTrue(!x.isClosed(), "the caller's input stays open");
        }
    }

    @Test
    void aGraphRoundTripsThroughJsonUnchanged() {
        try (ResNet net = ResNet.resnet18(3, backend())) {
            Graph a = GraphTracer.trace(net);
            String text = GraphJson.write(a);
            assertEquals(text, GraphJson.write(GraphJson.parse(text)));
            assertEquals(a.nodes(), GraphJson.parse(text).nodes());
        }
    }

    // ---- bad graphs --------------------------------------------------------------------------------

    private static String graph(String modules, String nodes) {
        return "{\"version\": 1, \"modules\": {" + modules + "}, \"nodes\": [" + nodes + "]}";
    }

    private static final String X = "{\"name\": \"x\", \"op\": \"placeholder\", \"target\": \"x\"}";
    private static final String RELU = "\"r\": {\"op\": \"relu\"}";

    private String error(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphModule(GraphJson.parse(text), backend()).close());
        return e.getMessage();
    }

    @Test
    void badGraphsAreRejectedNamingTheNodeAndTheRule() {
        String out = "{\"name\": \"output\", \"op\": \"output\", \"args\": [{\"node\": \"y\"}]}";
        assertTrue(error(graph("", X + ", {\"name\": \"y\", \"op\": \"call_function\", \"target\": \"frobnicate\","
                + " \"args\": [{\"node\": \"x\"}]}, " + out)).matches("node 'y' \\(call_function frobnicate\\): unknown op"
                + " 'frobnicate'; the supported ops are \\[.*"), "unknown op");
        assertEquals("node 'y' (call_function relu): relu() got an unexpected keyword argument 'alpha'; its arguments are"
                + " [input, inplace]", error(graph("", X + ", {\"name\": \"y\", \"op\": \"call_function\", \"target\":"
                + " \"relu\", \"args\": [{\"node\": \"x\"}], \"kwargs\": {\"alpha\": 1}}, " + out)));
        assertEquals("node 'y' uses 'z', which is not defined before it (no node has that name)", error(graph("",
                X + ", {\"name\": \"y\", \"op\": \"call_function\", \"target\": \"relu\", \"args\": [{\"node\": \"z\"}]}, "
                + out)));
        assertEquals("node 'y' uses 'z', which is not defined before it (it is node 2, later: nodes must come after what"
                + " they use, so a cycle cannot be written)", error(graph("", X + ", {\"name\": \"y\", \"op\": \"call_function\","
                + " \"target\": \"relu\", \"args\": [{\"node\": \"z\"}]}, {\"name\": \"z\", \"op\": \"call_function\","
                + " \"target\": \"relu\", \"args\": [{\"node\": \"y\"}]}, " + out)));
        assertEquals("node 'y' uses 'y', which is not defined before it (it uses itself: a cycle)", error(graph("",
                X + ", {\"name\": \"y\", \"op\": \"call_function\", \"target\": \"relu\", \"args\": [{\"node\": \"y\"}]}, "
                + out)));
        assertEquals("node 'y' calls module 'r', which the graph's modules do not define", error(graph("",
                X + ", {\"name\": \"y\", \"op\": \"call_module\", \"target\": \"r\", \"args\": [{\"node\": \"x\"}]}, " + out)));
        assertEquals("module 'r': unknown layer op 'relu7'; known: sequential, conv1d, conv2d, linear, relu, leakyrelu,"
                + " sigmoid, tanh, softmax, logsoftmax, flatten, dropout, embedding, batchnorm1d, batchnorm2d, maxpool1d,"
                + " maxpool2d, avgpool1d, avgpool2d, adaptiveavgpool1d, adaptiveavgpool2d, adaptivemaxpool2d",
                error(graph("\"r\": {\"op\": \"relu7\"}", X + ", {\"name\": \"y\", \"op\": \"call_module\", \"target\":"
                        + " \"r\", \"args\": [{\"node\": \"x\"}]}, " + out)).replaceAll(", (relu6|silu|hardswish|hardsigmoid"
                        + "|hardtanh|gelu|identity|layernorm|groupnorm|convtranspose1d|convtranspose2d|upsample|dropout2d)",
                        ""));
        assertTrue(error(graph(RELU, X + ", {\"name\": \"y\", \"op\": \"get_attr\", \"target\": \"r.weight\"}, " + out))
                .startsWith("node 'y' reads 'r.weight', which is no parameter or buffer of the model"), "get_attr");
        assertEquals("the last node 'y' must be the output node, but it is call_function", error(graph("", X
                + ", {\"name\": \"y\", \"op\": \"call_function\", \"target\": \"relu\", \"args\": [{\"node\": \"x\"}]}")));
        assertEquals("node 1: the name 'x' is defined twice (node 0)", error(graph("", X + ", " + X + ", " + out)));
        assertEquals("graph: 'version' must be 1, got 2 (a file written by a newer layers4j?)",
                error("{\"version\": 2, \"nodes\": []}"));
        assertEquals("node 'y': an argument object must be {\"node\": NAME}, {\"dict\": {...}} or {\"slice\": [START,"
                + " STOP, STEP]}, got {\"nod\":\"x\"}", error(graph("", X + ", {\"name\": \"y\", \"op\": \"call_function\","
                + " \"target\": \"relu\", \"args\": [{\"nod\": \"x\"}]}, " + out)));
        assertEquals("module 'r.c' is defined after a module inside it; list modules in named_modules() order (a module"
                + " before its children)", error(graph("\"r.c.d\": {\"op\": \"relu\"}, \"r.c\": {\"op\": \"module\"}", X
                + ", " + out.replace("\"y\"", "\"x\""))));
        assertEquals("module 'r' is a layer (ReLU), so it cannot hold other modules", error(graph(RELU
                + ", \"r.c\": {\"op\": \"relu\"}", X + ", " + out.replace("\"y\"", "\"x\""))));
        assertEquals("node 'y' calls 'r', a container; call_module takes a leaf module (a layer)", error(graph(
                "\"r\": {\"op\": \"module\"}", X + ", {\"name\": \"y\", \"op\": \"call_module\", \"target\": \"r\","
                + " \"args\": [{\"node\": \"x\"}]}, " + out)));
    }

    @Test
    void aWrongInputCountOrAFailingOpNamesTheNode() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        g.output(g.call("view", x, 5, -1));
        try (GraphModule m = new GraphModule(g.build(Map.of()), backend());
             Tensor in = backend().upload(new float[6], Shape.of(2, 3))) {
            assertEquals("the graph takes 1 input(s) [x], but got 2",
                    assertThrows(IllegalArgumentException.class, () -> m.run(in, in)).getMessage());
            assertEquals("node 'view' (call_function view): shape '[5, -1]' is invalid for input of size 6",
                    assertThrows(IllegalArgumentException.class, () -> m.forward(in)).getMessage());
        }
    }

    /** {"out": out, "aux": aux}, in that order. */
    private static Node.Dict dict(Object out, Object aux) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", out);
        m.put("aux", aux);
        return new Node.Dict(m);
    }
}
