package org.layers4j.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;
import org.layers4j.DType;
import org.layers4j.io.LayerSpecs;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * One golden PyTorch case (a {@code .safetensors} file: the layer's configuration in its metadata,
 * input, parameters, expected output and gradients) run through the public layer API on a backend.
 * A tensor passes when {@code max|actual - expected| <= 1e-4 * max(1, max|expected|)}.
 */
public final class ConformanceCase {
    /** The fixtures' relative tolerance. */
    public static final double TOLERANCE = 1e-4;

    private final String name;
    private final SafeTensors.Contents contents;
    /** While a graph case runs with {@code saveComputed}: what it computed. */
    private ComputedValues computed;

    private ConformanceCase(String name, SafeTensors.Contents contents) {
        this.name = name;
        this.contents = contents;
    }

    public static ConformanceCase load(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        return new ConformanceCase(fileName.replaceFirst("\\.safetensors$", ""), SafeTensors.read(file));
    }

    /**
     * Every {@code *.safetensors} file directly in the directories, sorted by name; a path that is a regular
     * {@code .safetensors} file is one case itself.
     */
    public static List<Path> find(List<Path> dirs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs) {
            if (Files.isRegularFile(dir) && dir.getFileName().toString().endsWith(".safetensors")) {
                files.add(dir);
                continue;
            }
            if (!Files.isDirectory(dir)) {
                throw new IOException("not a directory: " + dir);
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    public String name() {
        return name;
    }

    /** The fixture's op: a layer's lower-case PyTorch class name, or {@code sequential}. */
    public String op() {
        return meta("op");
    }

    public Map<String, String> metadata() {
        return contents.metadata();
    }

    public boolean hasBackward() {
        return contents.tensors().containsKey("grad_output");
    }

    /** Whether the case ran the module in training mode. */
    public boolean training() {
        return Boolean.parseBoolean(contents.metadata().getOrDefault("training", "false"));
    }

    /** The case's module on {@code backend}, with the case's parameters and buffers, in the case's mode. */
    public Module buildModule(Backend backend) {
        Map<String, Object> spec;
        if (op().equals("sequential")) {
            spec = sequentialSpec();
        } else {
            spec = LayerSpecs.fromMetadata(contents.metadata());
        }
        Module m = LayerSpecs.build(spec, backend);
        try {
            m.stateDict().keySet().forEach(k -> m.set(k, contents.tensor(k)));
            m.train(training());
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Runs forward (and, when the case has gradients, backward through a {@link Tape}) on
     * {@code backend} and compares the output, the input and parameter gradients, and in training mode
     * every buffer after the forward.
     */
    public Result run(Backend backend) {
        return run(backend, null);
    }

    /**
     * As {@link #run(Backend)}; a {@code graph} case with {@code adam} also writes its model after the Adam step
     * with {@link org.layers4j.io.Models#save} to {@code saveTrained/<case>.safetensors} when {@code saveTrained}
     * is not null (other cases ignore it).
     */
    public Result run(Backend backend, Path saveTrained) {
        return run(backend, saveTrained, null);
    }

    /**
     * As {@link #run(Backend, Path)}; a {@code graph} case also writes what it computed to
     * {@code saveComputed/<case>.computed.safetensors} when {@code saveComputed} is not null: every tensor it
     * compared (same names as the case's) and each ReLU node's output as {@code relu.<node>}.
     */
    public Result run(Backend backend, Path saveTrained, Path saveComputed) {
        if (op().equals("training")) {
            return runTraining(backend);
        }
        if (op().equals("graph")) {
            computed = saveComputed == null ? null : new ComputedValues();
            try {
                Result r = runGraph(backend, saveTrained);
                if (computed != null) {
                    java.nio.file.Files.createDirectories(saveComputed);
                    computed.write(saveComputed.resolve(name + ".computed.safetensors"), name);
                }
                return r;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                computed = null;
            }
        }
        List<Comparison> comparisons = new ArrayList<>();
        HostTensor in = contents.tensor("input");
        try (Module module = buildModule(backend);
             Tensor x = in.dtype() == DType.INT64 ? backend.upload(in.longs(), in.shape()) : backend.upload(in.data(), in.shape());
             Tape tape = Tape.start()) {
            try (Tensor y = module.forward(x)) {
                comparisons.add(compare("output", y));
                if (hasBackward()) {
                    HostTensor gy = contents.tensor("grad_output");
                    try (Tensor dy = backend.upload(gy.data(), gy.shape()); Gradients g = tape.backward(y, dy)) {
                        if (contents.tensors().containsKey("grad_input")) {
                            Tensor dx = g.of(x);
                            comparisons.add(dx == null ? missing("grad_input") : compare("grad_input", dx));
                        }
                        module.namedParameterObjects().forEach((p, param) -> {
                            String key = contents.tensors().containsKey("grad." + p) ? "grad." + p : "grad_" + p;
                            Tensor pg = param.grad();
                            if (pg == null) {
                                try (Tensor zeros = backend.allocate(param.data().shape())) {
                                    comparisons.add(compare(key, zeros));
                                }
                            } else {
                                comparisons.add(compare(key, pg));
                            }
                        });
                    }
                }
            }
            if (training()) {
                module.buffers().forEach((b, t) -> {
                    if (contents.tensors().containsKey("after." + b)) {
                        comparisons.add(compare("after." + b, t));
                    }
                });
            }
        }
        return new Result(name, comparisons);
    }

    /**
     * A training fixture: every step is {@code train(); zero_grad; loss = loss_fn(model(x), t); backward;
     * step()}; compares each step's loss and every final parameter and buffer.
     */
    private Result runTraining(Backend backend) {
        List<Comparison> comparisons = new ArrayList<>();
        int steps = Integer.parseInt(meta("steps").trim());
        Map<String, Object> lossSpec = TrainingRun.parse("loss", meta("loss"));
        Map<String, Object> optSpec = TrainingRun.parse("optimizer", meta("optimizer"));
        Map<String, Object> spec = sequentialSpec();
        float[] losses = new float[steps];
        try (Module model = LayerSpecs.build(spec, backend)) {
            model.stateDict().keySet().forEach(k -> model.set(k, contents.tensor(k)));
            org.layers4j.nn.loss.Loss lossFn = TrainingRun.loss(lossSpec);
            try (org.layers4j.optim.Optimizer opt = TrainingRun.optimizer(optSpec, model)) {
                for (int i = 0; i < steps; i++) {
                    HostTensor x = contents.tensor("step" + i + ".input");
                    HostTensor t = contents.tensor("step" + i + ".target");
                    try (Tensor xd = upload(backend, x); Tensor td = upload(backend, t)) {
                        losses[i] = org.layers4j.optim.Training.step(model, lossFn, opt, xd, td);
                    }
                }
            }
            try (Tensor l = backend.upload(losses, org.layers4j.Shape.of(steps))) {
                comparisons.add(compare("loss", l));
            }
            model.stateDict().forEach((k, v) -> comparisons.add(compare("final." + k, v)));
        }
        return new Result(name, comparisons);
    }

    /** The case's graph model on {@code backend}: its graph, and the tensors of the file that are its state_dict. */
    public org.layers4j.graph.GraphModule buildGraphModule(Backend backend) {
        org.layers4j.graph.Graph graph = org.layers4j.graph.GraphJson.parse(meta("graph"));
        org.layers4j.graph.GraphModule m = new org.layers4j.graph.GraphModule(graph, backend);
        try {
            Map<String, HostTensor> state = new java.util.LinkedHashMap<>();
            for (String k : m.stateDict().keySet()) {
                HostTensor t = contents.tensors().get(k);
                if (t == null) {
                    throw new IllegalArgumentException(name + ": the case has no state_dict entry '" + k + "'");
                }
                state.put(k, t);
            }
            org.layers4j.io.StateDicts.load(m, state);
            m.train(training());
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * A graph case: forward (every output by {@link org.layers4j.graph.GraphModule#forwardNamed}'s names), backward
     * of {@code sum_k sum(output_k * grad_output_k)}, gradients, buffers after a training forward and, with
     * {@code adam}, every parameter after one Adam step.
     */
    private Result runGraph(Backend backend, Path saveTrained) {
        List<Comparison> comparisons = new ArrayList<>();
        List<Tensor> temps = new ArrayList<>();
        try (org.layers4j.graph.GraphModule module = buildGraphModule(backend);
             Tensor x = upload(backend, contents.tensor("input"));
             Tape tape = Tape.start()) {
            if (computed != null) {
                module.observe(computed.reluObserver());
            }
            Map<String, Tensor> ys = module.forwardNamed(x);
            temps.addAll(ys.values());
            boolean single = ys.size() == 1 && ys.containsKey("output");
            for (Map.Entry<String, Tensor> e : ys.entrySet()) {
                comparisons.add(compare(single ? "output" : "output." + e.getKey(), e.getValue()));
            }
            if (!single) {
                // every expected output was produced
                contents.tensors().keySet().stream().filter(k -> k.startsWith("output.")
                        && !ys.containsKey(k.substring("output.".length()))).forEach(k -> comparisons.add(
                        new Comparison(k, Double.POSITIVE_INFINITY, 0, false, "the graph has no such output")));
            }
            if (hasGraphBackward(single)) {
                Gradients g;
                if (single) {
                    Tensor dy = upload(backend, contents.tensor("grad_output"));
                    temps.add(dy);
                    g = tape.backward(ys.get("output"), dy);
                } else {
                    Tensor loss = null;
                    for (Map.Entry<String, Tensor> e : ys.entrySet()) {
                        Tensor dy = upload(backend, contents.tensor("grad_output." + e.getKey()));
                        temps.add(dy);
                        Tensor prod = org.layers4j.nn.functional.Arithmetic.mul(e.getValue(), dy);
                        temps.add(prod);
                        Tensor part = org.layers4j.nn.functional.Arithmetic.sum(prod, null, false);
                        temps.add(part);
                        if (loss == null) {
                            loss = part;
                        } else {
                            loss = org.layers4j.nn.functional.Arithmetic.add(loss, part);
                            temps.add(loss);
                        }
                    }
                    g = tape.backward(loss);
                }
                try (Gradients grads = g) {
                    if (contents.tensors().containsKey("grad_input")) {
                        Tensor dx = grads.of(x);
                        comparisons.add(dx == null ? missing("grad_input") : compare("grad_input", dx));
                    }
                    module.namedParameterObjects().forEach((p, param) -> {
                        Tensor pg = param.grad();
                        if (pg == null) {
                            try (Tensor zeros = backend.allocate(param.data().shape())) {
                                comparisons.add(compare("grad." + p, zeros));
                            }
                        } else {
                            comparisons.add(compare("grad." + p, pg));
                        }
                    });
                }
            }
            if (training()) {
                module.buffers().forEach((b, t) -> {
                    if (contents.tensors().containsKey("after." + b)) {
                        comparisons.add(compare("after." + b, t));
                    }
                });
            }
            String adamJson = contents.metadata().get("adam");
            if (adamJson != null) {
                try (org.layers4j.optim.Adam adam = adam(module, adamJson)) {
                    adam.step();
                }
                module.namedParameterObjects().forEach((p, param) -> comparisons.add(compare("adam." + p, param.data())));
                if (saveTrained != null) {
                    try {
                        java.nio.file.Files.createDirectories(saveTrained);
                        org.layers4j.io.Models.save(module, saveTrained.resolve(name + ".safetensors"));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        } finally {
            java.util.Collections.reverse(temps);
            java.util.IdentityHashMap<Tensor, Boolean> closed = new java.util.IdentityHashMap<>();
            temps.forEach(t -> {
                if (t != null && closed.put(t, Boolean.TRUE) == null) {
                    t.close();
                }
            });
        }
        return new Result(name, comparisons);
    }

    private boolean hasGraphBackward(boolean single) {
        return single ? contents.tensors().containsKey("grad_output")
                : contents.tensors().keySet().stream().anyMatch(k -> k.startsWith("grad_output."));
    }

    private org.layers4j.optim.Adam adam(org.layers4j.nn.Module model, String json) {
        Map<String, Object> a;
        try {
            a = org.layers4j.internal.Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": metadata 'adam' is not a JSON object: " + e.getMessage(), e);
        }
        org.layers4j.optim.Adam adam = new org.layers4j.optim.Adam(model);
        for (Map.Entry<String, Object> e : a.entrySet()) {
            switch (e.getKey()) {
                case "lr" -> adam.lr(number(e.getKey(), e.getValue()));
                case "betas" -> {
                    if (!(e.getValue() instanceof List<?> l) || l.size() != 2) {
                        throw new IllegalArgumentException(name + ": adam 'betas' must be a list of two numbers");
                    }
                    adam.betas(number("betas", l.get(0)), number("betas", l.get(1)));
                }
                case "eps" -> adam.eps(number(e.getKey(), e.getValue()));
                case "weight_decay" -> adam.weightDecay(number(e.getKey(), e.getValue()));
                case "amsgrad" -> adam.amsgrad(Boolean.TRUE.equals(e.getValue()));
                case "maximize" -> adam.maximize(Boolean.TRUE.equals(e.getValue()));
                default -> throw new IllegalArgumentException(name + ": adam has no argument '" + e.getKey() + "'");
            }
        }
        return adam;
    }

    private double number(String key, Object v) {
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException(name + ": adam '" + key + "' must be a number, not " + v);
        }
        return n.doubleValue();
    }

    private Map<String, Object> sequentialSpec() {
        Map<String, Object> spec = new java.util.LinkedHashMap<>();
        spec.put("op", "sequential");
        try {
            spec.put("layers", org.layers4j.internal.Json.parse(meta("layers")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": metadata 'layers' is not JSON: " + e.getMessage(), e);
        }
        return spec;
    }

    private static Tensor upload(Backend be, HostTensor t) {
        return t.dtype() == DType.INT64 ? be.upload(t.longs(), t.shape()) : be.upload(t.data(), t.shape());
    }

    private static Comparison missing(String tensor) {
        return new Comparison(tensor, Double.POSITIVE_INFINITY, 0, false, "no gradient reached it");
    }

    private Comparison compare(String tensor, Tensor actual) {
        if (computed != null) {
            computed.put(tensor, actual);
        }
        HostTensor expected = contents.tensor(tensor);
        if (!actual.shape().equals(expected.shape())) {
            return new Comparison(tensor, Double.POSITIVE_INFINITY, 0, false,
                    "shape " + actual.shape().dimsString() + ", expected " + expected.shape().dimsString());
        }
        if (expected.dtype() == DType.INT64 || actual.dtype() == DType.INT64) {
            // counters such as num_batches_tracked must be equal
            boolean eq = java.util.Arrays.equals(expected.asLongs(), actual.dtype() == DType.INT64 ? actual.toLongArray()
                    : new HostTensor(actual.shape(), actual.toArray()).asLongs());
            return new Comparison(tensor, eq ? 0 : Double.POSITIVE_INFINITY, 0, eq, eq ? "" : "values differ");
        }
        float[] a = actual.toArray();
        float[] e = expected.data();
        double maxErr = 0;
        double maxAbs = 0;
        for (float v : e) {
            if (Float.isFinite(v)) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        for (int i = 0; i < e.length; i++) {
            if (Float.compare(a[i], e[i]) == 0 || (Float.isNaN(a[i]) && Float.isNaN(e[i]))) {
                continue; // equal, including NaN where PyTorch has NaN and the same infinity
            }
            double d = Math.abs((double) a[i] - e[i]);
            maxErr = Double.isNaN(d) ? Double.NaN : Math.max(maxErr, d);
            if (Double.isNaN(maxErr)) {
                break;
            }
        }
        double tol = TOLERANCE * Math.max(1, maxAbs);
        return new Comparison(tensor, maxErr, tol, maxErr <= tol, "");
    }

    private String meta(String key) {
        String v = contents.metadata().get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + ": metadata has no '" + key + "'");
        }
        return v;
    }

    /** One tensor compared: the largest absolute error and the tolerance it had to meet. */
    public record Comparison(String tensor, double maxError, double tolerance, boolean passed, String problem) {
    }

    /** Every tensor compared for one case. */
    public record Result(String name, List<Comparison> comparisons) {
        public boolean passed() {
            return comparisons.stream().allMatch(Comparison::passed);
        }

        /** The largest error over the compared tensors (NaN when any was NaN). */
        public double maxError() {
            double m = 0;
            for (Comparison c : comparisons) {
                if (Double.isNaN(c.maxError())) {
                    return Double.NaN;
                }
                m = Math.max(m, c.maxError());
            }
            return m;
        }
    }
}
