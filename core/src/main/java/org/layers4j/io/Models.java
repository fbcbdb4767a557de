package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.internal.Json;
import org.layers4j.nn.Module;
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

    /** Saves a Sequential model of this library's layers, with its state_dict. */
    public static void save(Module model, Path path) throws IOException {
        if (model == null || path == null) {
            throw new IllegalArgumentException("model and path must not be null");
        }
        Map<String, Object> spec = LayerSpecs.describe(model);
        if (!"sequential".equals(spec.get("op"))) {
            throw new IllegalArgumentException("a model file holds a Sequential; wrap the " + model.getClass().getSimpleName()
                    + " in one");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("op", "sequential");
        meta.put("layers", Json.write(spec.get("layers")));
        SafeTensors.write(path, StateDicts.of(model), meta);
    }

    /** Loads a model file onto {@code backend}, in eval mode (as PyTorch code runs a loaded model for inference). */
    public static Module load(Path path, Backend backend) throws IOException {
        java.util.Objects.requireNonNull(path, "path");
        java.util.Objects.requireNonNull(backend, "backend");
        SafeTensors.Contents c = SafeTensors.read(path);
        try {
            return fromContents(c, backend);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** The model a file's contents describe, its state loaded strictly. */
    public static Module fromContents(SafeTensors.Contents c, Backend backend) {
        java.util.Objects.requireNonNull(c, "contents");
        java.util.Objects.requireNonNull(backend, "backend");
        String layers = c.metadata().get("layers");
        if (layers == null || !"sequential".equals(c.metadata().get("op"))) {
            throw new IllegalArgumentException("not a layers4j model file: its metadata needs \"op\": \"sequential\" and"
                    + " \"layers\" (a state_dict alone loads with StateDicts.load into a model you build)");
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("op", "sequential");
        try {
            spec.put("layers", Json.parse(layers));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata 'layers' is not valid JSON: " + e.getMessage(), e);
        }
        Module m = LayerSpecs.build(spec, backend);
        try {
            StateDicts.load(m, c.tensors());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        m.eval();
        return m;
    }
}
