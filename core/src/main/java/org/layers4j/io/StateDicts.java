package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.nn.Layer;

/**
 * Moves parameters between layers and PyTorch state_dicts saved as safetensors
 * ({@code safetensors.torch.save_file(model.state_dict(), path)}), matching by parameter name
 * strictly, as {@code load_state_dict} does by default.
 */
public final class StateDicts {
    private StateDicts() {
    }

    /** Loads a safetensors state_dict into {@code layer}. */
    public static void load(Layer layer, Path path) throws IOException {
        load(layer, SafeTensors.read(path).tensors());
    }

    /**
     * Sets every parameter of {@code layer} from {@code stateDict}; every parameter must be present
     * with its shape, and no other key may be.
     */
    public static void load(Layer layer, Map<String, HostTensor> stateDict) {
        if (layer == null || stateDict == null) {
            throw new IllegalArgumentException("layer and state_dict must not be null");
        }
        Map<String, Tensor> params = layer.parameters();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        params.forEach((name, t) -> {
            HostTensor v = stateDict.get(name);
            if (v == null) {
                missing.add('"' + name + '"');
            } else if (!v.shape().equals(t.shape())) {
                mismatched.add("size mismatch for " + name + ": copying a param with shape " + v.shape().dimsString()
                        + " from checkpoint, the shape in current model is " + t.shape().dimsString());
            }
        });
        stateDict.keySet().stream().filter(k -> !params.containsKey(k)).forEach(k -> unexpected.add('"' + k + '"'));
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            StringBuilder s = new StringBuilder("Error(s) in loading state_dict for " + layer.getClass().getSimpleName() + ":");
            if (!missing.isEmpty()) {
                s.append(" Missing key(s) in state_dict: ").append(String.join(", ", missing)).append('.');
            }
            if (!unexpected.isEmpty()) {
                s.append(" Unexpected key(s) in state_dict: ").append(String.join(", ", unexpected)).append('.');
            }
            mismatched.forEach(m -> s.append(' ').append(m).append('.'));
            throw new IllegalArgumentException(s.toString());
        }
        params.keySet().forEach(name -> layer.setParameter(name, stateDict.get(name).data()));
    }

    /** The layer's parameters as host tensors, by state_dict name. */
    public static Map<String, HostTensor> of(Layer layer) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        layer.parameters().forEach((name, t) -> out.put(name, new HostTensor(t.shape(), t.toArray())));
        return out;
    }

    /** Saves the layer's parameters as a safetensors state_dict PyTorch can load. */
    public static void save(Layer layer, Path path) throws IOException {
        SafeTensors.write(path, of(layer), Map.of("format", "pt"));
    }
}
