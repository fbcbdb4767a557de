package org.layers4j.nn;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;

/**
 * Records the operations the current thread runs, so that {@link #backward} can compute gradients
 * without running any forward again: PyTorch's autograd, for the layers of this library. A module's
 * forward (and {@link Functional}'s operations) record themselves while a tape is active on their
 * thread; each keeps, through new tensor handles, exactly what its backward needs (an input, an
 * output, a mask, batch statistics), and the tape frees that when it is closed or after backward.
 *
 * <pre>{@code
 * try (Tape tape = Tape.start()) {
 *     Tensor y = model.forward(x);
 *     try (Gradients g = tape.backward(y, gradOutput)) {   // every parameter's grad() accumulates
 *         Tensor dx = g.of(x);
 *     }
 * }
 * }</pre>
 *
 * A tape belongs to the thread that started it; tapes nest (the inner one records until it is closed).
 *
 * <p><b>No grad</b>, as {@code torch.no_grad()}: inside {@code try (Tape.NoGrad g = Tape.noGrad()) { ... }}
 * nothing records on this thread, even while a tape is open (evaluating a model in the middle of training);
 * the tape records again when the scope closes. Scopes nest. A tape <em>started</em> inside the scope records
 * (starting one is an explicit request, as {@code torch.enable_grad()}; {@link Module#backward} relies on it).
 *
 * <p>A tape left open records every forward and keeps what each backward would need, so memory grows
 * without bound: when a tape has recorded more than {@code layers4j.tape.warnOps} operations
 * ({@link #WARN_OPS_KEY}, default {@value #DEFAULT_WARN_OPS}; 0 turns the warning off) without a backward,
 * a WARN is logged once per tape saying so.
 */
public final class Tape implements AutoCloseable {
    private static final ThreadLocal<Tape> CURRENT = new ThreadLocal<>();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Tape.class);
    /** Configuration key: warn when a tape has recorded more operations than this without a backward (0: never). */
    public static final String WARN_OPS_KEY = org.layers4j.config.Config.TAPE_WARN_OPS;
    /** The default of {@link #WARN_OPS_KEY}. */
    public static final int DEFAULT_WARN_OPS = 100_000;
    private static volatile int warnOps = -1;

    private record Node(String op, Tensor output, Tensor[] inputs, Parameter[] params, Tensor[] saved,
                        BackwardFunction fn) {
    }

    private final Tape previous;
    private final Thread owner;
    private final boolean accumulate;
    /** Whether backward computes the gradients of leaves (tensors no recorded operation produced). */
    private final boolean leafGradients;
    private final List<Node> nodes = new ArrayList<>();
    private boolean closed;
    private boolean used;
    private boolean warned;

    private Tape(boolean accumulate, boolean leafGradients) {
        this.previous = CURRENT.get();
        this.owner = Thread.currentThread();
        this.accumulate = accumulate;
        this.leafGradients = leafGradients;
        CURRENT.set(this);
    }

    /** Starts recording on this thread; backward accumulates into each {@link Parameter#grad()}. */
    public static Tape start() {
        return new Tape(true, true);
    }

    /**
     * Starts recording on this thread for the parameters' gradients only (a training step's): backward accumulates
     * into each {@link Parameter#grad()} as {@link #start()}'s does, but computes no gradient for the tensors no
     * recorded operation produced (the model's input, a loss target) — PyTorch's autograd for inputs that do not
     * require grad. A convolution reading the input then skips its input gradient (backward data), the largest
     * one of a network's first layer; the returned {@link Gradients} hold no leaf gradients.
     */
    public static Tape parametersOnly() {
        return new Tape(true, false);
    }

    /** A tape whose backward returns the parameters' gradients instead of accumulating them. */
    static Tape collecting() {
        return new Tape(false, true);
    }

    /** Whether a tape records on this thread (false inside a {@link #noGrad} scope). */
    public static boolean isRecording() {
        return CURRENT.get() != null;
    }

    /**
     * Opens a no-grad scope on this thread: until it is closed, the tape open before it records nothing
     * (see the class comment). Close it on the same thread, innermost first, with try-with-resources.
     */
    public static NoGrad noGrad() {
        return new NoGrad();
    }

    /** A {@link #noGrad} scope; closing it lets the tape that was open before it record again. */
    public static final class NoGrad implements AutoCloseable {
        private final Tape suspended;
        private final Thread owner;
        private boolean closed;

        private NoGrad() {
            this.suspended = CURRENT.get();
            this.owner = Thread.currentThread();
            CURRENT.remove();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("a no-grad scope is closed by the thread that opened it");
            }
            closed = true;
            Tape t = suspended;
            while (t != null && t.closed) { // closed inside the scope: the one it was nested in records again
                t = t.previous;
            }
            if (t == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(t);
            }
        }
    }

    /** The {@link #WARN_OPS_KEY} threshold in use (the configuration's, unless set with {@link #setWarnOps}). */
    public static int warnOps() {
        int w = warnOps;
        if (w < 0) {
            try {
                w = org.layers4j.config.Config.load().getInt(WARN_OPS_KEY, DEFAULT_WARN_OPS);
            } catch (IllegalArgumentException e) {
                w = -1;
            }
            if (w < 0) { // a bad value must not fail every forward: warn, and keep the default
                LOG.warn("{} must be an integer >= 0 (0: never warn); using {}", WARN_OPS_KEY, DEFAULT_WARN_OPS);
                w = DEFAULT_WARN_OPS;
            }
            warnOps = w;
        }
        return w;
    }

    /** Sets the {@link #WARN_OPS_KEY} threshold for this JVM (0: never warn). */
    public static void setWarnOps(int operations) {
        if (operations < 0) {
            throw new IllegalArgumentException(WARN_OPS_KEY + " must be >= 0 (0: never warn), but got " + operations);
        }
        warnOps = operations;
    }

    /**
     * Records one operation when a tape is active on this thread, and returns {@code output}. For layer
     * implementors: {@code inputs} are the tensors the output depends on (gradients flow to them),
     * {@code params} the parameters it depends on, {@code saved} the tensors backward needs (the tape keeps
     * its own handles on them, so callers may close theirs).
     */
    public static Tensor record(String op, Tensor output, Tensor[] inputs, Parameter[] params, Tensor[] saved,
                                BackwardFunction fn) {
        Tape t = CURRENT.get();
        if (t == null || t.closed) {
            return output;
        }
        Tensor[] kept = new Tensor[saved.length];
        for (int i = 0; i < saved.length; i++) {
            kept[i] = saved[i] == null ? null : saved[i].share();
        }
        t.nodes.add(new Node(op, output, inputs.clone(), params.clone(), kept, fn));
        if (!t.warned) {
            int limit = warnOps();
            if (limit > 0 && t.nodes.size() > limit) {
                t.warned = true;
                LOG.warn("a tape on thread '{}' has recorded {} operations without a backward: a tape left open records"
                        + " every forward and keeps what its backward needs, so memory grows without bound. Close the"
                        + " tape (try (Tape tape = Tape.start()) { ... }) after its backward, run inference inside"
                        + " try (Tape.NoGrad g = Tape.noGrad()) { ... }, or raise {} if one graph really has this"
                        + " many operations", Thread.currentThread().getName(), t.nodes.size(), WARN_OPS_KEY);
            }
        }
        return output;
    }

    /**
     * Back-propagates {@code gradOutput} = dL/d(output) through every recorded operation that
     * {@code output} depends on, in reverse. Parameter gradients accumulate into {@link Parameter#grad()};
     * the returned gradients hold dL/dt for every tensor t that was an input of a recorded operation
     * without being the output of one (the model's input). Once per tape.
     */
    public Gradients backward(Tensor output, Tensor gradOutput) {
        Map<Parameter, Tensor> params = new IdentityHashMap<>();
        Map<Tensor, Tensor> leaves = run(output, gradOutput, params);
        if (accumulate) {
            params.forEach(Parameter::accumulateGrad);
            return new Gradients(null, Map.of(), leaves, Map.of());
        }
        return new Gradients(null, Map.of(), leaves, params);
    }

    /** Back-propagates from a scalar (one-element) loss, as PyTorch's {@code loss.backward()}. */
    public Gradients backward(Tensor loss) {
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
        if (loss.shape().size() != 1) {
            throw new IllegalArgumentException("grad can be implicitly created only for scalar outputs, but the output"
                    + " has shape " + loss.shape().dimsString() + "; pass grad_output");
        }
        try (Tensor one = loss.backend().upload(new float[] {1f}, loss.shape())) {
            return backward(loss, one);
        }
    }

    private Map<Tensor, Tensor> run(Tensor output, Tensor gradOutput, Map<Parameter, Tensor> params) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a tape is used by the thread that started it");
        }
        if (closed || used) {
            throw new IllegalStateException("this tape's backward already ran (or it was closed); record a new one");
        }
        if (output == null || gradOutput == null) {
            throw new IllegalArgumentException("output and grad_output must not be null");
        }
        if (!gradOutput.shape().equals(output.shape())) {
            throw new IllegalArgumentException("grad_output must have the output's shape " + output.shape().dimsString()
                    + ", but got " + gradOutput.shape().dimsString());
        }
        if (gradOutput.backend() != output.backend()) {
            throw new IllegalArgumentException("grad_output is on backend " + gradOutput.backend().name()
                    + ", but the output is on " + output.backend().name());
        }
        used = true;
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        Map<Tensor, Boolean> produced = new IdentityHashMap<>();
        nodes.forEach(n -> produced.put(n.output, Boolean.TRUE));
        grads.put(output, gradOutput.share());
        try {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node n = nodes.get(i);
                Tensor g = grads.remove(n.output);
                if (g == null) {
                    continue;
                }
                boolean[] wanted = new boolean[n.inputs.length];
                for (int k = 0; k < wanted.length; k++) {
                    wanted[k] = leafGradients || produced.containsKey(n.inputs[k]);
                }
                Tensor[] r;
                try {
                    // an empty output (an empty batch): every gradient is zeros, no backend call is made
                    r = g.shape().size() == 0 ? zeroGradients(n) : n.fn.apply(g, n.saved, wanted);
                } finally {
                    g.close();
                    closeAll(n.saved);
                }
                for (int k = 0; k < n.inputs.length; k++) {
                    if (wanted[k]) {
                        merge(grads, n.inputs[k], r[k]);
                    } else if (r[k] != null) {
                        r[k].close(); // a backward that computed it anyway
                    }
                }
                for (int k = 0; k < n.params.length; k++) {
                    merge(params, n.params[k], r[n.inputs.length + k]);
                }
            }
        } catch (RuntimeException e) {
            grads.values().forEach(Tensor::close);
            params.values().forEach(Tensor::close);
            throw e;
        }
        Map<Tensor, Tensor> leaves = new IdentityHashMap<>();
        grads.forEach((t, g) -> {
            if (produced.containsKey(t)) {
                g.close(); // an intermediate that nothing consumed (an output not on output's path)
            } else {
                leaves.put(t, g);
            }
        });
        return leaves;
    }

    private static Tensor[] zeroGradients(Node n) {
        Tensor[] r = new Tensor[n.inputs.length + n.params.length];
        for (int k = 0; k < n.inputs.length; k++) {
            Tensor in = n.inputs[k];
            r[k] = in.dtype() == org.layers4j.DType.FLOAT32 ? in.backend().allocate(in.shape()) : null;
        }
        for (int k = 0; k < n.params.length; k++) {
            Tensor p = n.params[k].data();
            r[n.inputs.length + k] = p.backend().allocate(p.shape());
        }
        return r;
    }

    private static <K> void merge(Map<K, Tensor> grads, K key, Tensor g) {
        if (g == null) {
            return;
        }
        Tensor old = grads.get(key);
        if (old == null) {
            grads.put(key, g);
            return;
        }
        Tensor sum = g.backend().allocate(g.shape());
        try {
            if (sum.shape().size() > 0) {
                g.backend().elementwise().add(old, g, sum);
            }
        } catch (RuntimeException e) {
            sum.close();
            throw e;
        } finally {
            old.close();
            g.close();
        }
        grads.put(key, sum);
    }

    private static void closeAll(Tensor[] ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }

    /** The number of operations recorded so far. */
    public int size() {
        return nodes.size();
    }

    /** Stops recording and frees what the recorded operations kept. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        nodes.forEach(n -> closeAll(n.saved));
        nodes.clear();
        if (CURRENT.get() == this) {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }
}
