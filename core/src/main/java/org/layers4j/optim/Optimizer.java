package org.layers4j.optim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.internal.Json;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;

/**
 * The base of {@link SGD}, {@link Adam} and {@link AdamW}, as {@code torch.optim.Optimizer}: one
 * parameter group over a module's parameters (in {@code named_parameters()} order, which is PyTorch's
 * {@code model.parameters()} order), {@link #zeroGrad()}, {@link #step()} (parameters without a gradient
 * are skipped, as PyTorch does), and a state_dict that saves to and loads from safetensors so that
 * training resumes exactly. State tensors live on the parameters' backend and are updated there
 * ({@link org.layers4j.spi.OptimizerOps}); the step count per parameter is kept here.
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<String> names;
    private final List<Parameter> params;
    /** Per parameter index: state name -> tensor (created on the first step). */
    private final List<Map<String, Tensor>> state = new ArrayList<>();
    private final long[] steps;

    protected Optimizer(Module model) {
        if (model == null) {
            throw new IllegalArgumentException("model must not be null");
        }
        Map<String, Parameter> named = model.namedParameterObjects();
        if (named.isEmpty()) {
            throw new IllegalArgumentException("optimizer got an empty parameter list");
        }
        this.names = List.copyOf(named.keySet());
        this.params = List.copyOf(named.values());
        for (int i = 0; i < params.size(); i++) {
            state.add(new LinkedHashMap<>());
        }
        this.steps = new long[params.size()];
    }

    /** PyTorch's optimizer name, e.g. {@code sgd}. */
    protected abstract String kind();

    /** The state tensors one parameter needs, by PyTorch's names (e.g. {@code exp_avg}). */
    protected abstract List<String> stateNames();

    /** Updates one parameter (its gradient non-null) at its {@code step} (1 for the first). */
    protected abstract void update(Parameter p, Map<String, Tensor> state, long step);

    /** The hyper-parameters, as PyTorch's param_groups[0] has them (without {@code params}). */
    public abstract Map<String, Object> hyperParameters();

    /** Drops every parameter's gradient (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        params.forEach(Parameter::zeroGrad);
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (p.grad() == null) {
                continue;
            }
            Map<String, Tensor> s = state.get(i);
            if (s.isEmpty()) {
                for (String k : stateNames()) {
                    s.put(k, p.data().backend().allocate(p.data().shape()));
                }
            }
            steps[i]++;
            update(p, s, steps[i]);
            p.markModified();
        }
    }

    /** The number of steps parameter i has taken. */
    public long steps(int i) {
        return steps[i];
    }

    /**
     * PyTorch's optimizer state_dict as host tensors: {@code state.<i>.step} (int64) and
     * {@code state.<i>.<name>} for every parameter index i that has state.
     */
    public Map<String, HostTensor> stateDict() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (state.get(i).isEmpty()) {
                continue;
            }
            out.put("state." + i + ".step", HostTensor.ofLongs(Shape.of(), new long[] {steps[i]}));
            for (Map.Entry<String, Tensor> e : state.get(i).entrySet()) {
                out.put("state." + i + "." + e.getKey(), new HostTensor(e.getValue().shape(), e.getValue().toArray()));
            }
        }
        return out;
    }

    /** Saves the state_dict; the metadata names the optimizer, its hyper-parameters and the parameters. */
    public void save(Path path) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("optimizer", kind());
        meta.put("param_groups", Json.write(List.of(hyperParameters())));
        meta.put("param_names", Json.write(names));
        SafeTensors.write(path, stateDict(), meta);
    }

    /** Loads a state saved by {@link #save} for the same model and optimizer kind; hyper-parameters as saved. */
    public void load(Path path) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(path);
        String kind = c.metadata().get("optimizer");
        if (!kind().equals(kind)) {
            throw new IllegalArgumentException(path + " holds the state of optimizer '" + kind + "', not '" + kind() + "'");
        }
        String expectedNames = Json.write(names);
        String saved = c.metadata().get("param_names");
        Object savedNames;
        try {
            savedNames = saved == null ? null : Json.parse(saved);
        } catch (IllegalArgumentException e) {
            savedNames = saved;
        }
        if (!names.equals(savedNames)) {
            throw new IllegalArgumentException(path + " was saved for parameters " + c.metadata().get("param_names")
                    + ", this optimizer has " + expectedNames);
        }
        // the hyper-parameters first: they decide which state tensors exist (momentum_buffer, max_exp_avg_sq)
        loadHyperParameters(c.metadata().get("param_groups"));
        loadState(c.tensors());
    }

    /** Replaces the state from a state_dict (see {@link #stateDict()}); shapes checked against the parameters. */
    public void loadState(Map<String, HostTensor> sd) {
        for (String k : sd.keySet()) {
            String[] parts = k.split("\\.", 3);
            if (parts.length != 3 || !parts[0].equals("state") || !parts[1].matches("\\d+")
                    || Integer.parseInt(parts[1]) >= params.size()
                    || !(parts[2].equals("step") || stateNames().contains(parts[2]))) {
                throw new IllegalArgumentException("unexpected optimizer state key '" + k + "' for " + kind());
            }
        }
        for (int i = 0; i < params.size(); i++) {
            HostTensor st = sd.get("state." + i + ".step");
            Map<String, Tensor> s = state.get(i);
            s.values().forEach(Tensor::close);
            s.clear();
            steps[i] = 0;
            if (st == null) {
                continue;
            }
            Shape shape = params.get(i).data().shape();
            for (String n : stateNames()) {
                HostTensor t = sd.get("state." + i + "." + n);
                if (t == null || !t.shape().equals(shape) || t.dtype() != DType.FLOAT32) {
                    throw new IllegalArgumentException("optimizer state 'state." + i + "." + n + "' must be a float32 "
                            + shape.dimsString() + " for parameter " + names.get(i) + ", got " + (t == null ? "none" : t.shape()));
                }
                s.put(n, params.get(i).data().backend().upload(t.data().clone(), shape));
            }
            steps[i] = st.asLongs()[0];
        }
    }

    /** Sets hyper-parameters from PyTorch's param_groups JSON (the first group). */
    protected abstract void loadHyperParameters(String paramGroupsJson);

    /** Frees the state tensors (the parameters belong to the model). */
    @Override
    public void close() {
        state.forEach(s -> {
            s.values().forEach(Tensor::close);
            s.clear();
        });
    }

    static void checkNonNegative(String what, double v) {
        if (!(v >= 0)) {
            throw new IllegalArgumentException("Invalid " + what + ": " + v);
        }
    }
}
