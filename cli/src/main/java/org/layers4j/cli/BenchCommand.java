package org.layers4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.conformance.BenchmarkCase;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.ConvPlan;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.nn.conv.PreparedConvolution;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.nn.Gradients;
import org.layers4j.spi.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Times convolutions of a benchmark suite through the public layer API: warm-up runs, then the
 * median of timed runs, reported as milliseconds and GFLOP/s (2 × multiply-adds, as suite.json defines).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN, ExitCodes.L_INTERNAL_ERROR},
        description = "Time a convolution benchmark suite (default: the bundled convolution suite, whose cases are"
        + " listed below) or, with --model, a whole model: median ms and GFLOP/s per case.")
final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BackendOption backend;

    @Option(names = "--threads", description = "CPU threads (sets layers4j.cpu.threads)")
    Integer threads;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON (with --model: the"
            + " median, the output shapes, the peak tensor memory and the JVM heap peak in bytes)")
    Path json;

    @Option(names = "--reps", defaultValue = "10", description = "timed runs per case (default ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--warmup", defaultValue = "3", description = "least untimed runs per case (default ${DEFAULT-VALUE})")
    int warmup;

    // The JIT compiles the CPU backend's Vector API kernels (and the Java side of every backend) during
    // the first second or so of work; timing before that measures the interpreter, not the kernels.
    @Option(names = "--warmup-seconds", defaultValue = "1.0",
            description = "least untimed seconds per case, on top of --warmup runs (default ${DEFAULT-VALUE})")
    double warmupSeconds;

    @Option(names = "--backward", description = "time backward (grad input + grad weight + grad bias) instead of forward")
    boolean backward;

    @Option(names = "--prepared", description = "time the forward on weights prepared once (as a model compiled for"
            + " inference runs its convolutions: the CPU packs its GEMM panels at preparation, not per call)")
    boolean prepared;

    @Option(names = "--profile", paramLabel = "RUNS", description = "with --model (a graph model, eval): after the"
            + " timed runs, time every node of the graph the forward runs over RUNS more forwards and print where the"
            + " time goes, per node and per op")
    Integer profile;

    @Option(names = "--profile-nodes", paramLabel = "N", description = "with --profile: list the N slowest nodes"
            + " (default 30; scripts/node_compare.py lists them all to compare with ONNX Runtime's profile)")
    int profileNodes = 30;

    @Option(names = "--case", paramLabel = "NAME", description = "run only these cases (repeatable)")
    List<String> only;

    @Option(names = "--model", paramLabel = "FILE|resnet18|resnet34",
            description = "time a whole model instead of the suite: a model file (graph or Sequential), or torchvision's"
            + " architecture; prints the median, the backend's peak tensor memory and the JVM heap peak over the timed runs")
    String model;

    @Option(names = "--train", description = "with --model: time a full training step (cross-entropy on random"
            + " targets, SGD with momentum 0.9: forward, backward, update) on the first output: [N, C] logits, or"
            + " [N, C, H, W] scores with per-pixel targets (a segmentation model's 'out')")
    boolean train;

    @Option(names = "--input-shape", paramLabel = "N,C,H,W", defaultValue = "8,3,224,224",
            description = "the model's input shape for --model (default ${DEFAULT-VALUE}); one forward at batch 1"
            + " checks that it fits the model before anything is timed")
    String inputShape;

    @Option(names = "--input", paramLabel = "FILE.safetensors", description = "with --model: the input, the tensor"
            + " 'input' of the file (or its only tensor), instead of seeded random values of --input-shape")
    Path inputFile;

    @Option(names = "--output", paramLabel = "FILE.safetensors", description = "with --model: also write the eval"
            + " outputs on the input (before anything is timed), as `run --output` does, to check them against another"
            + " framework's")
    Path outputFile;

    @Parameters(arity = "0..1", paramLabel = "SUITE.json", description = "the suite to run")
    Path suite;

    /** The help's footer: the bundled suite's cases, one a line (name and geometry), for {@code --case}. */
    static String bundledCasesFooter() {
        StringBuilder sb = new StringBuilder("%nCases of the bundled convolution suite (--case NAME; input N x C x size"
                + " -> output channels, kernel k, stride s, padding p, groups g):%n");
        try (InputStream in = BenchCommand.class.getResourceAsStream("suite.json")) {
            for (JsonNode c : JSON.readTree(in).path("cases")) {
                sb.append(String.format("  %-14s %s %dx%dx%s -> %d, k%s s%s p%s g%d%%n", c.path("name").asText(),
                        c.path("op").asText(), c.path("n").asInt(), c.path("cin").asInt(), dims(c.path("size")),
                        c.path("cout").asInt(), dims(c.path("kernel")), dims(c.path("stride")),
                        dims(c.path("padding")), c.path("groups").asInt(1)));
            }
        } catch (IOException | RuntimeException e) {
            return "";
        }
        return sb.toString();
    }

    private static String dims(JsonNode n) {
        if (!n.isArray()) {
            return n.asText();
        }
        StringBuilder sb = new StringBuilder();
        n.forEach(v -> sb.append(sb.length() == 0 ? "" : "x").append(v.asText()));
        return sb.toString();
    }

    @Override
    public Integer call() throws IOException {
        if (backward && train) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--backward and --train cannot be combined:"
                    + " --train already times forward, backward and the optimizer step; --backward times forward + backward");
        }
        if (prepared && (backward || model != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--prepared times the suite's forward"
                    + " convolutions: it cannot be combined with --backward or --model (a model file is compiled anyway)");
        }
        if (profileNodes < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--profile-nodes must be >= 1, got "
                    + profileNodes);
        }
        if (profile != null && (model == null || train || backward || profile < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--profile RUNS (>= 1) profiles the eval"
                    + " forward of --model: not the suite, --train or --backward, got " + profile);
        }
        if (train && model == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--train needs --model (the suite times single"
                    + " convolutions: use --backward there)");
        }
        if (reps < 1 || warmup < 0 || !(warmupSeconds >= 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--reps must be >= 1, --warmup >= 0 and --warmup-seconds >= 0, got "
                    + reps + ", " + warmup + " and " + warmupSeconds);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Config config = Config.load();
        if (threads != null) {
            if (threads < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
            }
            config = config.with(Config.CPU_THREADS, threads.toString());
        }
        if (backend.spec != null) {
            config = config.with(Config.BACKEND, backend.spec);
        }
        Backend be = Backends.get(config);
        int threadCount = config.getInt(Config.CPU_THREADS, Runtime.getRuntime().availableProcessors());
        if (model != null) {
            return benchModel(out, be, threadCount);
        }
        if (inputFile != null || outputFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--input and --output need --model");
        }
        List<BenchmarkCase> cases;
        try {
            cases = BenchmarkCase.parse(readSuite().toString());
        } catch (IllegalArgumentException | IOException e) {
            // a malformed, empty or unreadable suite: one line, exit 3 (cannot run: the command line was well
            // formed, the file it names is not a suite)
            String what = suite == null ? "the built-in suite" : suite.toString();
            String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? "not valid JSON: "
                    + j.getOriginalMessage() : e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e.getMessage();
            err.println("error: " + what + ": " + msg.lines().findFirst().orElse(""));
            return ExitCodes.CANNOT_RUN;
        }
        if (only != null) {
            for (String name : only) {
                if (cases.stream().noneMatch(c -> c.name().equals(name))) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--case " + name
                        + ": the suite has no such case (it has " + cases.stream().map(BenchmarkCase::name).toList() + ")");
                }
            }
        }
        out.printf("backend: %s, threads: %d, %s, warm-up >= %d runs and >= %.1f s, median of %d timed runs%n",
                be.name(), threadCount, backward ? "backward" : prepared ? "forward on prepared weights" : "forward", warmup, warmupSeconds, reps);
        ArrayNode results = JSON.createArrayNode();
        List<BenchmarkCase> selected = cases.stream().filter(c -> only == null || only.contains(c.name())).toList();
        long start = System.nanoTime();
        for (int i = 0; i < selected.size(); i++) {
            BenchmarkCase c = selected.get(i);
            String name = c.name();
            err.println(progress(i + 1, selected.size(), name, System.nanoTime() - start));
            err.flush();
            double[] r = runCase(be, c);
            out.printf("%-14s %10.3f ms %9.1f GFLOP/s%n", name, r[0], r[1]);
            out.flush();
            ObjectNode o = results.addObject();
            o.put("name", name);
            o.put("median_ms", r[0]);
            o.put("gflops", r[1]);
        }
        if (json != null) {
            ObjectNode root = JSON.createObjectNode();
            root.put("backend", be.name());
            root.put("threads", threadCount);
            root.put("mode", backward ? "backward" : prepared ? "forward-prepared" : "forward");
            root.set("results", results);
            JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);
        }
        return 0;
    }

    /** {@code bench --model}: the timing, the FLOPs and the fraction of the FMA peak; exit code 0. */
    private int benchModel(PrintWriter out, Backend be, int threadCount) throws IOException {
        Shape shape;
        float[] data = null;
        String inputOption = inputShape;
        if (inputFile != null) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--input-shape")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--input and --input-shape cannot be combined"
                        + " (the input file gives the shape)");
            }
            org.layers4j.io.HostTensor x = RunCommand.readInput(inputFile);
            if (x.dtype() != org.layers4j.DType.FLOAT32) {
                throw new IllegalArgumentException(inputFile + ": the input must be float32, got " + x.dtype());
            }
            shape = x.shape();
            data = x.data();
            inputOption = shape.dimsString() + " (from " + inputFile + ")";
        } else {
            try {
                shape = ModelBench.parseShape(inputShape);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        if (outputFile != null) {
            Path dir = outputFile.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                throw new IllegalArgumentException("--output " + outputFile + ": the directory " + dir + " does not exist");
            }
        }
        try (org.layers4j.nn.Module m = ModelBench.load(model, be, train || backward)) {
            java.util.Map<String, Shape> outputs;
            try {
                outputs = ModelBench.probe(m, shape, inputOption);
                if (train) {
                    String first = outputs.keySet().iterator().next();
                    ModelBench.targetShape(first, outputs.get(first));
                }
            } catch (ModelBench.UsageException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            String first = outputs.keySet().iterator().next();
            String mode = train ? "training step (forward, cross-entropy, backward, SGD update)"
                    : backward ? "forward + backward of sum(output)" : "eval forward";
            out.printf("backend: %s, threads: %d, model %s, input %s, %s, median of %d timed runs%n", be.name(),
                    threadCount, model, shape.dimsString(), mode, reps);
            StringBuilder outs = new StringBuilder();
            outputs.forEach((k, v) -> outs.append(outs.length() == 0 ? "" : ", ").append(k).append(' ')
                    .append(v.dimsString()));
            out.println("outputs: " + outs + (outputs.size() > 1 && (train || backward) ? " (" + first
                    + (train ? " trained on" : " differentiated") + ")" : ""));
            out.flush();
            if (outputFile != null) {
                float[] in = data != null ? data : Timing.random(new SplittableRandom(1), shape.size());
                org.layers4j.io.SafeTensors.write(outputFile, ModelBench.outputs(m, shape, in), java.util.Map.of(
                        "format", "pt"));
            }
            double flops = ModelBench.flops(model, be, shape, backward, train, first, outputs.get(first));
            ModelBench.Result r = train
                    ? ModelBench.timeTraining(m, shape, data, first, outputs.get(first), warmup, warmupSeconds, reps)
                    : ModelBench.time(m, shape, data, backward, warmup, warmupSeconds, reps);
            out.println(modelLine(Path.of(model).getFileName().toString(), r, be.name()));
            Double peak = null;
            String peakHow;
            if (!be.name().equals("cpu")) {
                peakHow = "not measured: backend " + be.name() + " is not the CPU";
            } else if (!ModelBench.vectorApi()) {
                peakHow = "not measured: no jdk.incubator.vector module (./layers4j adds it)";
            } else {
                peak = FmaPeak.measure(threadCount);
                peakHow = FmaPeak.description(threadCount);
            }
            out.println(flopsLine(flops, r.medianMs(), train, backward));
            out.println(peakLine(flops, r.medianMs(), peak, peakHow));
            if (profile != null) {
                if (!(m instanceof org.layers4j.graph.GraphModule gm)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--profile needs a graph model file;"
                            + " " + model + " loads as " + m.getClass().getSimpleName());
                }
                float[] in = data != null ? data : Timing.random(new SplittableRandom(1), shape.size());
                try (Tensor x = be.upload(in, shape)) {
                    NodeProfile.print(out, gm, x, profile, profileNodes);
                }
            }
            if (json != null) {
                ObjectNode root = JSON.createObjectNode();
                root.put("backend", be.name());
                root.put("threads", threadCount);
                root.put("model", model);
                ArrayNode in = root.putArray("input_shape");
                for (int d : shape.dims()) {
                    in.add(d);
                }
                if (inputFile != null) {
                    root.put("input_file", inputFile.toString());
                }
                root.put("mode", train ? "train" : backward ? "backward" : "forward");
                ObjectNode os = root.putObject("outputs");
                outputs.forEach((k, v) -> {
                    ArrayNode a = os.putArray(k);
                    for (int d : v.dims()) {
                        a.add(d);
                    }
                });
                root.put("reps", reps);
                root.put("median_ms", r.medianMs());
                ArrayNode times = root.putArray("times_ms");
                for (double t : r.timesMs()) {
                    times.add(t);
                }
                if (r.peakTensorBytes() >= 0) {
                    root.put("peak_tensor_bytes", r.peakTensorBytes());
                    root.put("live_tensor_bytes_before", r.liveBeforeBytes());
                } else {
                    root.putNull("peak_tensor_bytes");
                    root.putNull("live_tensor_bytes_before");
                }
                root.put("jvm_heap_peak_bytes", r.heapPeakBytes());
                root.put("flops", flops);
                root.put("gflops", gflops(flops, r.medianMs()));
                if (peak != null) {
                    root.put("fma_peak_gflops", peak);
                    root.put("peak_fraction", gflops(flops, r.medianMs()) / peak);
                } else {
                    root.putNull("fma_peak_gflops");
                    root.putNull("peak_fraction");
                }
                root.put("fma_peak_method", peakHow);
                JSON.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);
            }
        }
        return 0;
    }

    /** GFLOP/s of {@code flops} done in {@code ms} milliseconds. */
    static double gflops(double flops, double ms) {
        return flops / (ms / 1e3) / 1e9;
    }

    /**
     * The FLOP line of {@code bench --model}, e.g. {@code FLOPs: 3.638 GFLOP per run (convolutions and GEMMs, 2 x
     * multiply-adds), 88.1 GFLOP/s at the median}.
     */
    static String flopsLine(double flops, double medianMs, boolean train, boolean backward) {
        String what = train || backward ? "forward, backward data and backward filter convolutions and GEMMs"
                : "convolutions and GEMMs";
        return String.format(java.util.Locale.ROOT, "FLOPs: %.3f GFLOP per run (%s, 2 x multiply-adds, counted on one"
                + " run), %.1f GFLOP/s at the median", flops / 1e9, what, gflops(flops, medianMs));
    }

    /** The FMA-peak line: the peak, how it was measured, and the model's fraction of it (or why there is none). */
    static String peakLine(double flops, double medianMs, Double peak, String how) {
        if (peak == null) {
            return "FMA peak: " + how;
        }
        return String.format(java.util.Locale.ROOT, "FMA peak: %.1f GFLOP/s (%s); the model runs at %.1f %% of it",
                peak, how, 100 * gflops(flops, medianMs) / peak);
    }

    /**
     * The result line of {@code bench --model}, e.g. {@code resnet18.safetensors   41.302 ms   peak tensor memory
     * 143.2 MiB (44.9 MiB live before the runs)   JVM heap peak 612.0 MiB}; the bytes live before the runs are
     * the weights, the inputs and, for training, the gradients and the optimizer state.
     */
    static String modelLine(String name, ModelBench.Result r, String backendName) {
        String tensors = r.peakTensorBytes() >= 0
                ? "peak tensor memory " + mib(r.peakTensorBytes()) + " MiB (" + mib(r.liveBeforeBytes())
                        + " MiB live before the runs)"
                : "peak tensor memory n/a (" + backendName + " does not track it)";
        return String.format("%-14s %10.3f ms   %s   JVM heap peak %s MiB", name, r.medianMs(), tensors,
                mib(r.heapPeakBytes()));
    }

    /** Bytes in MiB: one decimal from 1 MiB on, three below (a small model's 0.012 MiB). */
    static String mib(long bytes) {
        double m = bytes / (1024.0 * 1024.0);
        return String.format(java.util.Locale.ROOT, m >= 1 ? "%.1f" : "%.3f", m);
    }

    /**
     * The progress line on stderr before case {@code index} (1-based) of {@code total}: the count, the case and,
     * from the second case on, the time left estimated from the mean time of the cases done so far, e.g.
     * {@code bench 3/9 resnet3x3 ... about 12 s left}.
     */
    static String progress(int index, int total, String name, long elapsedNanos) {
        String line = "bench " + index + "/" + total + " " + name + " ...";
        int done = index - 1;
        if (done == 0) {
            return line;
        }
        double left = elapsedNanos / 1e9 / done * (total - done);
        long s = (long) Math.ceil(left);
        String when = s < 120 ? s + " s" : s < 7200 ? Math.round(s / 60.0) + " min" : Math.round(s / 3600.0) + " h";
        return line + " about " + when + " left";
    }

    private JsonNode readSuite() throws IOException {
        if (suite != null) {
            return JSON.readTree(Files.readAllBytes(suite));
        }
        try (InputStream in = BenchCommand.class.getResourceAsStream("suite.json")) {
            return JSON.readTree(in);
        }
    }

    /** {median ms, GFLOP/s} for one suite case. */
    private double[] runCase(Backend be, BenchmarkCase c) {
        ConvBuilder<? extends Convolution> b = c.builder().backend(be).seed(1);
        Shape inShape = c.inputShape();
        SplittableRandom rng = new SplittableRandom(1);
        try (Convolution conv = b.build(); Tensor x = be.upload(Timing.random(rng, inShape.size()), inShape);
             PreparedConvolution pc = prepared ? new PreparedConvolution(conv) : null) {
            ConvPlan plan = conv.spec().plan(x.shape());
            double flops = plan.geometry().flops() * (backward ? 2 : 1);
            try (Tensor dy = backward ? be.upload(Timing.random(rng, plan.outputShape().size()), plan.outputShape()) : null) {
                double median = Timing.medianMs(warmup, warmupSeconds, reps, () -> {
                    if (pc == null) {
                        once(conv, x, dy);
                    } else {
                        try (Tensor y = pc.forward(x, ConvEpilogue.NONE)) {
                            be.synchronize();
                        }
                    }
                });
                return new double[] {median, flops / (median / 1e3) / 1e9};
            }
        }
    }

    /** One timed unit, complete: asynchronous backends are synchronized before the clock stops. */
    private void once(Convolution conv, Tensor x, Tensor dy) {
        if (backward) {
            try (Gradients g = conv.backward(x, dy)) {
                conv.backend().synchronize();
            }
        } else {
            try (Tensor y = conv.forward(x)) {
                conv.backend().synchronize();
            }
        }
    }

}
