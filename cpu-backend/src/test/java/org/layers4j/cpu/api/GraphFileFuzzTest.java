package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Ref;
import org.layers4j.internal.Json;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * Property-based: a valid graph model file whose {@code graph} metadata is mutated at random (values
 * replaced by other JSON values or references, keys dropped, list elements repeated, swapped or removed)
 * either loads and runs, or is rejected with an {@link IllegalArgumentException} (or, for a valid graph
 * whose op meets input it does not support, {@link UnsupportedOperationException}) — never another
 * exception, a hang, or an error.
 */
class GraphFileFuzzTest {
    private final Backend be = Backends.get("cpu");
    private static final List<Object> POOL = List.of("x", "relu", "conv", "add", "cat", "output", "call_module",
            "call_function", "get_attr", "placeholder", "module", "block.scale", "shape", Map.of("node", "x"),
            Map.of("node", "missing"), Map.of("node", "conv"), Map.of("dict", Map.of()), Map.of("slice", List.of(0, 1, 1)),
            List.of(), Map.of(), 0L, 1L, -1L, 2L, 3L, 7L, 0.5, -2.5, true, false, "");

    private static byte[] validFile(Backend be) {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref c = g.callModule("conv", x);
        Ref b = g.callModule("bn", c);
        Ref s = g.attr("block.scale");
        Ref m = g.call("mul", b, s);
        List<Object> halves = List.of(g.call("chunk", m, 2, 1));
        Ref first = g.call("getitem", halves.get(0), 0);
        Ref second = g.call("getitem", halves.get(0), 1);
        Ref sum = g.call("add", first, second);
        Ref cat = g.call("cat", List.of(sum, first), 1);
        Ref n = g.call("size", cat, 0);
        Ref v = g.call("view", cat, n, -1);
        Ref r = g.call("relu", g.callModule("fc", v));
        g.output(dict(r, List.of(cat, second)));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv", Map.of("op", "conv2d", "in_channels", 2L, "out_channels", 4L, "kernel_size", List.of(3L, 3L),
                "padding", List.of(1L, 1L)));
        modules.put("bn", Map.of("op", "batchnorm2d", "num_features", 4L));
        modules.put("block", Map.of("op", Graph.CONTAINER, "parameters", Map.of("scale", List.of(4L, 1L, 1L))));
        modules.put("fc", Map.of("op", "linear", "in_features", 36L, "out_features", 3L));
        try (GraphModule model = new GraphModule(g.build(modules), be)) {
            return SafeTensors.serialize(StateDicts.of(model), Models.metadata(model));
        }
    }

    @Property(tries = 400)
    void aMutatedGraphLoadsAndRunsOrIsRejectedWithAClearError(@ForAll long seed,
                                                               @ForAll @IntRange(min = 1, max = 4) int mutations) {
        SafeTensors.Contents valid = SafeTensors.parse(validFile(be));
        Object graph = Json.parse(valid.metadata().get("graph"));
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < mutations; i++) {
            graph = mutate(graph, rng);
        }
        Map<String, String> meta = new LinkedHashMap<>(valid.metadata());
        meta.put("graph", Json.write(graph));
        SafeTensors.Contents hostile = SafeTensors.parse(SafeTensors.serialize(valid.tensors(), meta));
        Module m;
        try {
            m = Models.fromContents(hostile, be);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                fail("an empty message for " + meta.get("graph"), e);
            }
            return;
        } catch (RuntimeException | Error e) {
            throw new AssertionError("loading threw " + e + " for " + meta.get("graph"), e);
        }
        try (m; Tensor in = be.upload(new float[2 * 2 * 3 * 3], Shape.of(2, 2, 3, 3))) {
            try {
                Map<String, Tensor> out = ((GraphModule) m).forwardNamed(in);
                out.values().forEach(Tensor::close);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                return;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("running threw " + e + " for " + meta.get("graph"), e);
            }
        }
    }

    @Property(tries = 1)
    void theUnmutatedFileLoadsAndRuns() {
        try (Module m = Models.fromContents(SafeTensors.parse(validFile(be)), be);
             Tensor in = be.upload(new float[36], Shape.of(2, 2, 3, 3))) {
            Map<String, Tensor> out = ((GraphModule) m).forwardNamed(in);
            assertEquals(List.of("out", "aux.0", "aux.1"), new ArrayList<>(out.keySet()));
            out.values().forEach(Tensor::close);
        }
    }

    /** One random change somewhere in the JSON tree. */
    @SuppressWarnings("unchecked")
    private static Object mutate(Object v, SplittableRandom rng) {
        if (v instanceof Map<?, ?> m && !m.isEmpty() && rng.nextInt(4) != 0) {
            Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) m);
            List<String> keys = new ArrayList<>(copy.keySet());
            String k = keys.get(rng.nextInt(keys.size()));
            if (rng.nextInt(6) == 0) {
                copy.remove(k);
            } else {
                copy.put(k, mutate(copy.get(k), rng));
            }
            return copy;
        }
        if (v instanceof List<?> l && !l.isEmpty() && rng.nextInt(4) != 0) {
            return JsonMutation.list(l, rng, GraphFileFuzzTest::mutate);
        }
        return POOL.get(rng.nextInt(POOL.size()));
    }


    /** {"out": out, "aux": aux}, in that order. */
    private static Node.Dict dict(Object out, Object aux) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", out);
        m.put("aux", aux);
        return new Node.Dict(m);
    }
}
