package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphJson;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.GraphTracer;
import org.layers4j.internal.Json;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.spi.Backend;

/**
 * Model files: one safetensors file holding a model's state_dict (parameters and buffers) and, in
 * its metadata, the architecture — {@code "op": "sequential"} and {@code "layers"}: a JSON list of
 * layer specs ({@link LayerSpecs}), the format of the {@code sequential} fixtures.
 * {@code scripts/torch_models.py} writes and reads the same files from PyTorch.
 */
public final class Models {
    private Models() {
    }

    /**
     * Saves a model with its state_dict: a {@link Sequential} of this library's layers as a {@code sequential}
     * file, any other model as a {@code graph} file — a {@link GraphModule} with its graph, a Java model through
     * {@link GraphTracer} (it implements {@link org.layers4j.graph.Traceable}, as ResNet and TextCNN do).
     */
    public static void save(Module model, Path path) throws IOException {
        if (model == null || path == null) {
            throw new IllegalArgumentException("model and path must not be null");
        }
        SafeTensors.write(path, StateDicts.of(model), metadata(model));
    }

    /** The architecture metadata {@link #save} writes for a model. */
    public static Map<String, String> metadata(Module model) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        if (model instanceof Sequential && sequentialOfLayers(model)) {
            meta.put("op", "sequential");
            meta.put("layers", Json.write(LayerSpecs.describe(model).get("layers")));
            return meta;
        }
        Graph graph = model instanceof GraphModule g ? g.graph() : GraphTracer.trace(model);
        meta.put("op", "graph");
        meta.put("graph", GraphJson.write(graph));
        return meta;
    }

    private static boolean sequentialOfLayers(Module model) {
        for (Module c : model.children().values()) {
            if (!c.children().isEmpty() || c instanceof org.layers4j.graph.Traceable) {
                return false;
            }
        }
        return true;
    }

    /**
     * Loads a model file onto {@code backend}, in eval mode (as PyTorch code runs a loaded model for inference); a
     * graph model (and an ONNX file) compiled for inference unless {@code layers4j.optimize} is false.
     * Loading allocates only about what the file holds: every layer spec's arguments are validated and its
     * state_dict shapes ({@link LayerSpecs#stateShapes}) compared with the file's tensors before any layer is
     * built; then the layers are built (default-initialized, so about the file's size once more) and filled from
     * the file. A hostile or broken file is an IOException naming the path and the problem.
     */
    public static Module load(Path path, Backend backend) throws IOException {
        java.util.Objects.requireNonNull(path, "path");
        java.util.Objects.requireNonNull(backend, "backend");
        ModelReader reader = readerFor(path);
        if (reader != null) {
            return optimized(reader.read(path, backend)); // another format (.onnx): its module's reader
        }
        SafeTensors.Contents c = SafeTensors.read(path);
        try {
            return optimized(fromContents(c, backend));
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a model file for inference only, holding its weights once: a graph model (and an ONNX file) comes back
     * as an {@linkplain GraphModule#isInferenceOnly inference-only} {@link GraphModule} compiled straight from the
     * file's tensors (BatchNorm folded into the weights' own arrays, which the CPU backend keeps without copying;
     * the uncompiled model is never built), about half of what {@link #load} holds, which also keeps the trainable
     * model. It runs eval-mode forwards as {@code load}'s model does, and refuses {@code train()} and gradients.
     * The file is checked as {@code load} checks it. Any other model, and every model when {@code layers4j.optimize}
     * is false, loads as {@code load} loads it.
     */
    public static Module loadForInference(Path path, Backend backend) throws IOException {
        java.util.Objects.requireNonNull(path, "path");
        java.util.Objects.requireNonNull(backend, "backend");
        if (!optimize()) {
            return load(path, backend);
        }
        ModelReader reader = readerFor(path);
        if (reader != null) {
            Module m = reader.read(path, backend);
            if (!(m instanceof GraphModule g)) {
                return m;
            }
            try (GraphModule source = g) {
                return source.freeze();
            }
        }
        SafeTensors.Contents c = SafeTensors.read(path);
        try {
            if (!"graph".equals(c.metadata().get("op"))) {
                return fromContents(c, backend);
            }
            return GraphModule.frozen(checkedGraph(c), backend, c.tensors());
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** The reader of another format (a ModelReader found by ServiceLoader) that accepts {@code path}, or null. */
    private static ModelReader readerFor(Path path) {
        for (ModelReader reader : java.util.ServiceLoader.load(ModelReader.class, Models.class.getClassLoader())) {
            if (reader.accepts(path)) {
                return reader;
            }
        }
        return null;
    }

    /** The configuration's {@code layers4j.optimize} (default true). */
    private static boolean optimize() {
        return org.layers4j.config.Config.load().getBoolean(org.layers4j.config.Config.OPTIMIZE, true);
    }

    /**
     * A graph model compiled for eval-mode inference ({@link GraphModule#compileForInference}) unless the
     * configuration's {@code layers4j.optimize} is false; any other model as it is.
     */
    private static Module optimized(Module m) {
        if (m instanceof GraphModule g) {
            boolean optimize;
            try {
                optimize = optimize();
            } catch (IllegalArgumentException e) {
                m.close();
                throw e;
            }
            if (optimize) {
                g.compileForInference();
            }
        }
        return m;
    }

    /** The model a file's contents describe, its state loaded strictly, in eval mode; never compiled (see load). */
    public static Module fromContents(SafeTensors.Contents c, Backend backend) {
        java.util.Objects.requireNonNull(c, "contents");
        java.util.Objects.requireNonNull(backend, "backend");
        if ("graph".equals(c.metadata().get("op"))) {
            return graphModel(c, backend);
        }
        String layers = c.metadata().get("layers");
        if (layers == null || !"sequential".equals(c.metadata().get("op"))) {
            throw new IllegalArgumentException("not a layers4j model file: its metadata needs \"op\": \"graph\" and"
                    + " \"graph\", or \"op\": \"sequential\" and \"layers\" (docs/model-format.md; a state_dict alone"
                    + " loads with StateDicts.load into a model you build)");
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("op", "sequential");
        try {
            spec.put("layers", Json.parse(layers));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata 'layers' is not valid JSON: " + e.getMessage(), e);
        }
        // the file's tensors against the shapes the spec declares, before anything is allocated: loading allocates
        // only what the file holds (a spec declaring a huge layer over small tensors is refused here)
        StateDicts.compare("Sequential", LayerSpecs.stateShapes(spec), c.tensors(), true);
        return loaded(() -> LayerSpecs.build(spec, backend), c.tensors());
    }

    /**
     * The model {@code build} makes, without random initialization (every value comes from the file, whose
     * shapes were checked before), its state loaded strictly from {@code tensors}, in eval mode.
     */
    private static Module loaded(java.util.function.Supplier<Module> build, Map<String, HostTensor> tensors) {
        Module m;
        try (Init.Skip noInit = Init.skip()) {
            m = build.get();
        }
        try {
            StateDicts.load(m, tensors);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        m.eval();
        return m;
    }

    private static Module graphModel(SafeTensors.Contents c, Backend backend) {
        Graph graph = checkedGraph(c);
        return loaded(() -> new GraphModule(graph, backend), c.tensors());
    }

    /** The graph of a graph model file, its tensors checked against the modules' state_dict shapes. */
    private static Graph checkedGraph(SafeTensors.Contents c) {
        String text = c.metadata().get("graph");
        if (text == null) {
            throw new IllegalArgumentException("a graph model file needs the metadata key \"graph\" (docs/model-format.md)");
        }
        Graph graph = GraphJson.parse(text);
        checkContainerShapes(graph, c.tensors());
        checkLayerShapes(graph, c.tensors());
        return graph;
    }

    /**
     * Every layer's state_dict shapes ({@link LayerSpecs#stateShapes}, under the module's name) and the
     * containers' declared tensors against the file's tensors, before anything is allocated: missing,
     * unexpected and mismatched keys in PyTorch's words.
     */
    private static void checkLayerShapes(Graph graph, Map<String, HostTensor> tensors) {
        Map<String, org.layers4j.Shape> expected = new LinkedHashMap<>();
        graph.modules().forEach((name, spec) -> {
            if (Graph.CONTAINER.equals(spec.get("op"))) {
                for (String kind : java.util.List.of("parameters", "buffers")) {
                    if (spec.get(kind) instanceof Map<?, ?> entries) {
                        // checkContainerShapes has compared them: the file's shape is the declared one
                        entries.keySet().forEach(attr -> {
                            HostTensor t = tensors.get(name + "." + attr);
                            if (t != null) {
                                expected.put(name + "." + attr, t.shape());
                            }
                        });
                    }
                }
                return;
            }
            try {
                LayerSpecs.stateShapes(spec).forEach((k, shape) -> expected.put(name + "." + k, shape));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("module '" + name + "': " + e.getMessage(), e);
            }
        });
        StateDicts.compare("GraphModule", expected, tensors, true);
    }

    /** A container's declared parameters against the file's tensors, before anything is allocated. */
    private static void checkContainerShapes(Graph graph, Map<String, HostTensor> tensors) {
        graph.modules().forEach((name, spec) -> {
            if (!Graph.CONTAINER.equals(spec.get("op"))) {
                return;
            }
            for (String kind : java.util.List.of("parameters", "buffers")) {
                if (spec.get(kind) instanceof Map<?, ?> entries) {
                    entries.forEach((attr, shape) -> {
                        String full = name + "." + attr;
                        HostTensor t = tensors.get(full);
                        if (t == null) {
                            throw new IllegalArgumentException("Missing key(s) in state_dict: \"" + full + "\" (declared by"
                                    + " module '" + name + "')");
                        }
                        Object dims = shape instanceof Map<?, ?> m ? m.get("shape") : shape;
                        if (!(dims instanceof java.util.List<?> l) || !l.equals(java.util.Arrays.stream(t.shape().dims())
                                .mapToObj(d -> (Object) (long) d).toList())) {
                            throw new IllegalArgumentException("size mismatch for " + full + ": module '" + name
                                    + "' declares " + dims + ", the file holds " + t.shape().dimsString());
                        }
                    });
                }
            }
        });
    }
}
