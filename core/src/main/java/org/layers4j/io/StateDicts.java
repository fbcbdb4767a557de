package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Shape;
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

    /**
     * The keys a non-strict {@link #load(Module, Map, boolean)} left out, as PyTorch's
     * {@code _IncompatibleKeys}: the module's parameters and buffers the state_dict lacks (they keep their
     * values), and the state_dict's keys the module does not have (ignored). Both empty after a strict load.
     */
    public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
        public IncompatibleKeys {
            missingKeys = List.copyOf(missingKeys);
            unexpectedKeys = List.copyOf(unexpectedKeys);
        }
    }

    /** Loads a safetensors state_dict into {@code module}. */
    public static void load(Module module, Path path) throws IOException {
        load(module, path, true);
    }

    /** Loads a safetensors state_dict into {@code module}, strictly or not ({@link #load(Module, Map, boolean)}). */
    public static IncompatibleKeys load(Module module, Path path, boolean strict) throws IOException {
        java.util.Objects.requireNonNull(module, "module");
        java.util.Objects.requireNonNull(path, "path");
        Map<String, HostTensor> sd = SafeTensors.read(path).tensors();
        try {
            return load(module, sd, strict);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sets every parameter and buffer of {@code module} from {@code stateDict}; every one must be
     * present with its shape, and no other key may be. Nothing is changed when any check fails.
     */
    public static void load(Module module, Map<String, HostTensor> stateDict) {
        load(module, stateDict, true);
    }

    /**
     * PyTorch's {@code load_state_dict(state_dict, strict)}: with {@code strict}, as {@link #load(Module, Map)};
     * without, the keys both have are loaded and the missing and unexpected ones are returned instead of being
     * errors — a size mismatch of a key both have is still an error (as in PyTorch), and then nothing is changed.
     */
    public static IncompatibleKeys load(Module module, Map<String, HostTensor> stateDict, boolean strict) {
        if (module == null || stateDict == null) {
            throw new IllegalArgumentException("module and state_dict must not be null");
        }
        Map<String, Tensor> own = module.stateDict();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        own.forEach((name, t) -> shapes.put(name, t.shape()));
        IncompatibleKeys keys = compare(module.getClass().getSimpleName(), shapes, stateDict, strict);
        own.keySet().forEach(name -> {
            HostTensor v = stateDict.get(name);
            if (v != null) {
                module.set(name, v);
            }
        });
        return keys;
    }

    /**
     * Compares a model's state_dict shapes ({@code own}) with a state_dict's tensors, in PyTorch's words:
     * an IllegalArgumentException listing the missing and unexpected keys (only when {@code strict}) and
     * every size mismatch; else the missing and unexpected keys.
     */
    static IncompatibleKeys compare(String owner, Map<String, Shape> own, Map<String, HostTensor> stateDict,
                                    boolean strict) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        own.forEach((name, shape) -> {
            HostTensor v = stateDict.get(name);
            if (v == null) {
                missing.add(name);
            } else if (!v.shape().equals(shape)) {
                mismatched.add("size mismatch for " + name + ": copying a param with shape " + v.shape()
                        + " from checkpoint, the shape in current model is " + shape + ".");
            }
        });
        stateDict.keySet().stream().filter(k -> !own.containsKey(k)).forEach(unexpected::add);
        boolean keyErrors = strict && (!missing.isEmpty() || !unexpected.isEmpty());
        if (keyErrors || !mismatched.isEmpty()) {
            StringBuilder s = new StringBuilder("Error(s) in loading state_dict for " + owner + ":");
            if (strict && !missing.isEmpty()) {
                s.append("\n\tMissing key(s) in state_dict: ").append(quoted(missing)).append('.');
            }
            if (strict && !unexpected.isEmpty()) {
                s.append("\n\tUnexpected key(s) in state_dict: ").append(quoted(unexpected)).append('.');
            }
            mismatched.forEach(m -> s.append("\n\t").append(m));
            throw new IllegalArgumentException(s.toString());
        }
        return new IncompatibleKeys(missing, unexpected);
    }

    private static String quoted(List<String> keys) {
        List<String> q = new ArrayList<>();
        int shown = Math.min(keys.size(), 50);
        for (int i = 0; i < shown; i++) {
            q.add('"' + keys.get(i) + '"');
        }
        return String.join(", ", q) + (shown < keys.size() ? " ... (" + keys.size() + " in all)" : "");
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
