package org.layers4j.nn;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * The base of every layer and model, PyTorch's {@code nn.Module}: parameters, buffers and child
 * modules are declared once ({@link #registerParameter}, {@link #registerBuffer},
 * {@link #registerModule}) and everything else is generic — state_dict names with dotted nesting
 * ({@code layer1.0.conv1.weight}, in PyTorch's order: own parameters, own buffers, then children),
 * loading by name, {@link #to(Backend)}, {@link #train()} / {@link #eval()}, {@link #close()}.
 *
 * <p>{@link #forward} computes the output; while a {@link Tape} records on the thread, each operation
 * also keeps what its backward needs, so {@link Tape#backward} never runs a forward again. A composite
 * (a ResNet block, a user's model) only writes forward, calling its children and {@link Functional}.
 * Forward may run on many threads at once; changing parameters or the mode is not meant to race with it.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Parameter> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private volatile Backend backend;
    private volatile boolean training = true;
    private volatile boolean closed;

    protected Module(Backend backend) {
        this.backend = requireBackend(backend);
    }

    /** The output for {@code input}: a new tensor the caller owns. */
    public abstract Tensor forward(Tensor input);

    /**
     * The gradients for a loss L given {@code gradOutput} = dL/d(forward(input)): runs forward once on a
     * private tape and backward through it. The parameters' accumulated {@link Parameter#grad()} are left
     * as they are; the returned gradients are new tensors by state_dict name (zeros for a parameter the
     * output does not depend on).
     */
    public Gradients backward(Tensor input, Tensor gradOutput) {
        String op = getClass().getSimpleName();
        requireOpen(op);
        if (input == null) {
            throw new IllegalArgumentException(op + ": input must not be null");
        }
        requireOnBackend(op + ": input", input, backend);
        if (gradOutput == null) {
            throw new IllegalArgumentException(op + ": grad_output must not be null");
        }
        requireOnBackend(op + ": grad_output", gradOutput, backend);
        Gradients raw;
        try (Tape tape = Tape.collecting(); Tensor y = forward(input)) {
            raw = tape.backward(y, gradOutput);
        }
        try (Gradients g = raw) {
            Tensor dx = input.dtype() == DType.FLOAT32 ? g.take(input) : null;
            if (dx == null && input.dtype() == DType.FLOAT32) {
                dx = backend.allocate(input.shape());
            }
            Map<String, Tensor> named = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : namedParameterObjects().entrySet()) {
                Tensor pg = g.take(e.getValue());
                named.put(e.getKey(), pg != null ? pg : backend.allocate(e.getValue().data().shape()));
            }
            return new Gradients(dx, named);
        }
    }

    // ---- declaration --------------------------------------------------------------------------

    /** Declares a parameter (owned by this module from now on) and returns its holder. */
    protected final Parameter registerParameter(String name, Tensor value) {
        checkName(name);
        checkOwned(name, value);
        Parameter p = new Parameter(value);
        parameters.put(name, p);
        return p;
    }

    /** Declares a buffer (state that is saved and loaded but not learned, e.g. running statistics). */
    protected final Parameter registerBuffer(String name, Tensor value) {
        checkName(name);
        checkOwned(name, value);
        Parameter b = new Parameter(value);
        buffers.put(name, b);
        return b;
    }

    /** Declares a child module, whose state_dict names get the prefix {@code name.}. */
    protected final <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        if (child == null) {
            throw new IllegalArgumentException("module '" + name + "' must not be null");
        }
        if (child.backend() != backend) {
            throw new IllegalArgumentException("module '" + name + "' is on " + child.backend().name() + " but "
                    + getClass().getSimpleName() + " is on " + backend.name() + "; move it with to(backend)");
        }
        children.put(name, child);
        return child;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a module attribute name must be non-empty without '.', got '" + name + "'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("attribute '" + name + "' already exists");
        }
    }

    private void checkOwned(String name, Tensor value) {
        if (value == null) {
            throw new IllegalArgumentException("'" + name + "' must not be null");
        }
        if (value.backend() != backend) {
            throw new IllegalArgumentException("'" + name + "' is on " + value.backend().name() + ", the module on "
                    + backend.name());
        }
    }

    // ---- access -------------------------------------------------------------------------------

    /** The child modules by name, in declaration order. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Every parameter, recursively, by state_dict name ({@code named_parameters()}). */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameterObjects().forEach((k, p) -> out.put(k, p.data()));
        return out;
    }

    /** Every parameter holder (values and accumulated gradient), recursively, by state_dict name. */
    public Map<String, Parameter> namedParameterObjects() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return out;
    }

    /**
     * Every parameter and buffer holder, recursively, by state_dict name, in state_dict order: what
     * {@link Parameter#version()} is read from to see whether any state changed.
     */
    public Map<String, Parameter> namedStateObjects() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return out;
    }

    /** Every buffer, recursively, by state_dict name ({@code named_buffers()}). */
    public Map<String, Tensor> buffers() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, false, true);
        Map<String, Tensor> t = new LinkedHashMap<>();
        out.forEach((k, b) -> t.put(k, b.data()));
        return t;
    }

    /** Parameters and buffers by state_dict name, in PyTorch's state_dict order. */
    public Map<String, Tensor> stateDict() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out, true, true);
        Map<String, Tensor> t = new LinkedHashMap<>();
        out.forEach((k, b) -> t.put(k, b.data()));
        return t;
    }

    private void collect(String prefix, Map<String, Parameter> out, boolean params, boolean bufs) {
        if (params) {
            parameters.forEach((k, p) -> out.put(prefix + k, p));
        }
        if (bufs) {
            buffers.forEach((k, b) -> out.put(prefix + k, b));
        }
        children.forEach((k, c) -> c.collect(prefix + k + ".", out, params, bufs));
    }

    /** A parameter's or buffer's current tensor by state_dict name. */
    public Tensor get(String name) {
        Parameter p = slot(name);
        return p.data();
    }

    /**
     * Replaces a parameter or buffer by state_dict name with a copy of {@code values} (shape-checked;
     * converted to the slot's dtype), as loading a state_dict does.
     */
    public void set(String name, org.layers4j.io.HostTensor values) {
        if (values == null) {
            throw new IllegalArgumentException(name + " values must not be null");
        }
        Parameter p = slot(name);
        Tensor old = p.data();
        if (!values.shape().equals(old.shape())) {
            throw new IllegalArgumentException(name + " must have shape " + old.shape().dimsString() + ", but got "
                    + values.shape().dimsString());
        }
        Backend be = backend;
        p.replace(old.dtype() == DType.INT64 ? be.upload(values.asLongs().clone(), old.shape())
                : be.upload(values.floats().clone(), old.shape()));
    }

    /** Replaces a float parameter or buffer's values by state_dict name (shape-checked by element count). */
    public void setParameter(String name, float[] values) {
        if (values == null) {
            throw new IllegalArgumentException(name + " values must not be null");
        }
        Shape s = slot(name).data().shape();
        if (values.length != s.size()) {
            throw new IllegalArgumentException(name + " must have shape " + s.dimsString() + " (" + s.size()
                    + " values), but got " + values.length + " values");
        }
        set(name, new org.layers4j.io.HostTensor(s, values));
    }

    private Parameter slot(String name) {
        if (name != null) {
            int dot = name.indexOf('.');
            if (dot < 0) {
                Parameter p = parameters.get(name);
                if (p == null) {
                    p = buffers.get(name);
                }
                if (p != null) {
                    return p;
                }
            } else {
                Module c = children.get(name.substring(0, dot));
                if (c != null) {
                    try {
                        return c.slot(name.substring(dot + 1));
                    } catch (IllegalArgumentException e) {
                        // fall through to this module's message with the full name
                    }
                }
            }
        }
        throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter or buffer '" + name
                + "'; its state_dict has " + stateDict().keySet());
    }

    // ---- mode, device, lifetime ---------------------------------------------------------------

    public Backend backend() {
        return backend;
    }

    /** Moves every parameter and buffer, recursively, to {@code target} (in place, as PyTorch's Module.to). */
    public Module to(Backend target) {
        requireBackend(target);
        for (Module c : children.values()) {
            c.to(target);
        }
        if (target != backend) {
            for (Parameter p : allOwnSlots()) {
                Tensor t = p.data();
                p.replace(t.dtype() == DType.INT64 ? target.upload(t.toLongArray(), t.shape())
                        : target.upload(t.toArray(), t.shape()));
            }
            backend = target;
        }
        return this;
    }

    /** Training mode, recursively (BatchNorm uses batch statistics, Dropout drops). Returns this. */
    public Module train() {
        return train(true);
    }

    /** Evaluation mode, recursively. Returns this. */
    public Module eval() {
        return train(false);
    }

    public Module train(boolean mode) {
        training = mode;
        children.values().forEach(c -> c.train(mode));
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    /** Drops every parameter's accumulated gradient, recursively. */
    public void zeroGrad() {
        namedParameterObjects().values().forEach(Parameter::zeroGrad);
    }

    private List<Parameter> allOwnSlots() {
        List<Parameter> all = new ArrayList<>(parameters.values());
        all.addAll(buffers.values());
        return all;
    }

    /** Frees every parameter, buffer and gradient, recursively. */
    @Override
    public void close() {
        closed = true;
        children.values().forEach(Module::close);
        allOwnSlots().forEach(Parameter::close);
    }

    /** PyTorch's repr: the class name and {@link #extraRepr()}, then the children indented. */
    @Override
    public String toString() {
        String extra = extraRepr();
        if (children.isEmpty()) {
            return getClass().getSimpleName() + "(" + extra + ")";
        }
        StringBuilder s = new StringBuilder(getClass().getSimpleName()).append("(");
        if (!extra.isEmpty()) {
            s.append("\n  ").append(extra);
        }
        children.forEach((k, c) -> s.append("\n  (").append(k).append("): ")
                .append(c.toString().replace("\n", "\n  ")));
        return s.append("\n)").toString();
    }

    /** The arguments PyTorch's repr shows for this module, e.g. {@code in_features=4, out_features=2, bias=True}. */
    protected String extraRepr() {
        return "";
    }

    // ---- helpers for layer implementations ----------------------------------------------------

    protected static Backend requireBackend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        return backend;
    }

    /** Whether {@link #close()} ran: the parameters and buffers are freed. */
    public boolean isClosed() {
        return closed;
    }

    /** An IllegalStateException saying the module was closed, when it was. */
    protected final void requireOpen(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this " + getClass().getSimpleName() + " was closed, which freed its"
                    + " parameters and buffers; build or load the module again");
        }
    }

    /** The input's shape, after checking it is non-null, open, float32 and on this module's backend. */
    protected final Shape requireInput(String op, Tensor input) {
        Shape s = requireAnyInput(op, input);
        if (input.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 input, but got " + input.dtype().torchName()
                    + " input of size " + s.dimsString());
        }
        return s;
    }

    /** The input's shape, after checking it is non-null, open and on this module's backend (any dtype). */
    protected final Shape requireAnyInput(String op, Tensor input) {
        requireOpen(op);
        if (input == null) {
            throw new IllegalArgumentException(op + ": input must not be null");
        }
        requireOnBackend(op + ": input", input, backend);
        return input.shape();
    }

    /** For op implementations: checks a tensor is open and on {@code backend}, naming it in the message. */
    public static void requireOnBackend(String what, Tensor t, Backend backend) {
        if (t.isClosed()) {
            throw new IllegalArgumentException(what + " " + t.shape().dimsString() + " is closed");
        }
        if (t.backend() != backend) {
            throw new IllegalArgumentException(what + " is on backend " + t.backend().name()
                    + (t.backend().name().equals(backend.name()) ? " (another instance)" : "")
                    + ", but the module is on " + backend.name() + "; move one of them with to(backend) or upload()");
        }
    }

    /**
     * A new tensor of {@code shape} that {@code op} fills on the backend, freed again if op fails. The
     * inputs stay reachable until op returns: backends work on the memory, not on the Tensor objects,
     * and an unreachable tensor's memory may be released by its Cleaner. An empty {@code shape} (a
     * zero-size dimension, as an empty batch gives) runs no op: there is nothing to compute, and no
     * backend is handed an empty tensor.
     */
    public static Tensor compute(Backend backend, Shape shape, Consumer<Tensor> op, Tensor... inputs) {
        Tensor out = backend.allocate(shape);
        if (shape.size() == 0) {
            return out;
        }
        try {
            op.accept(out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        } finally {
            Reference.reachabilityFence(inputs);
            Reference.reachabilityFence(out);
        }
    }

    /** Records an operation on the current tape (see {@link Tape#record}); a no-op without one. */
    protected static Tensor record(String op, Tensor output, Tensor[] inputs, Parameter[] params, Tensor[] saved,
                                   BackwardFunction fn) {
        return Tape.record(op, output, inputs, params, saved, fn);
    }

    /** Replaces a parameter's or buffer's tensor (freeing the old one): for state a module updates itself. */
    protected final void replace(Parameter slot, Tensor value) {
        checkOwned("value", value);
        slot.replace(value);
    }

    /** Shorthand for an array of tensors. */
    protected static Tensor[] tensors(Tensor... ts) {
        return ts;
    }

    /** Shorthand for an array of parameters, skipping nulls (an absent bias). */
    protected static Parameter[] params(Parameter... ps) {
        return java.util.Arrays.stream(ps).filter(java.util.Objects::nonNull).toArray(Parameter[]::new);
    }
}
