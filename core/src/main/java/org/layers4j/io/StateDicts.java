package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;

/**
 * Moves parameters and buffers between modules and PyTorch state_dicts saved as safetensors
 * ({@code safetensors.torch.save_file(model.state_dict(), path)}), matching by state_dict name
 * strictly, as {@code load_state_dict} does by default. Values of another dtype are converted
 * (F16 / BF16 / F64 files to float32 on reading; float to an int64 buffer by truncation).
 */
public final class StateDicts {
    private StateDicts() {
    }

    /** Loads a safetensors state_dict into {@code module}. */
    public static void load(Module module, Path path) throws IOException {
        java.util.Objects.requireNonNull(module, "module");
        java.util.Objects.requireNonNull(path, "path");
        load(module, SafeTensors.read(path).tensors());
    }

    /**
     * Sets every parameter and buffer of {@code module} from {@code stateDict}; every one must be
     * present with its shape, and no other key may be. Nothing is changed when any check fails.
     */
    public static void load(Module module, Map<String, HostTensor> stateDict) {
        if (module == null || stateDict == null) {
            throw new IllegalArgumentException("module and state_dict must not be null");
        }
        Map<String, Tensor> own = module.stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        own.forEach((name, t) -> {
            HostTensor v = stateDict.get(name);
            if (v == null) {
                missing.add('"' + name + '"');
            } else if (!v.shape().equals(t.shape())) {
                mismatched.add("size mismatch for " + name + ": copying a param with shape " + torchSize(v)
                        + " from checkpoint, the shape in current model is " + torchSize(t) + ".");
            }
        });
        stateDict.keySet().stream().filter(k -> !own.containsKey(k)).forEach(k -> unexpected.add('"' + k + '"'));
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            StringBuilder s = new StringBuilder("Error(s) in loading state_dict for " + module.getClass().getSimpleName() + ":");
            if (!missing.isEmpty()) {
                s.append("\n\tMissing key(s) in state_dict: ").append(String.join(", ", missing)).append('.');
            }
            if (!unexpected.isEmpty()) {
                s.append("\n\tUnexpected key(s) in state_dict: ").append(String.join(", ", unexpected)).append('.');
            }
            mismatched.forEach(m -> s.append("\n\t").append(m));
            throw new IllegalArgumentException(s.toString());
        }
        own.keySet().forEach(name -> module.set(name, stateDict.get(name)));
    }

    private static String torchSize(HostTensor t) {
        return t.shape().toString();
    }

    private static String torchSize(Tensor t) {
        return t.shape().toString();
    }

    /** The module's parameters and buffers as host tensors, by state_dict name, in PyTorch's order. */
    public static Map<String, HostTensor> of(Module module) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        module.stateDict().forEach((name, t) -> out.put(name, t.dtype() == DType.INT64
                ? HostTensor.ofLongs(t.shape(), t.toLongArray()) : new HostTensor(t.shape(), t.toArray())));
        return out;
    }

    /** Saves the module's state_dict as a safetensors file PyTorch can load. */
    public static void save(Module module, Path path) throws IOException {
        java.util.Objects.requireNonNull(module, "module");
        java.util.Objects.requireNonNull(path, "path");
        SafeTensors.write(path, of(module), Map.of("format", "pt"));
    }
}
