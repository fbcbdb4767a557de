package org.layers4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;

/**
 * ONNX Runtime (Java, CPU execution provider) on an .onnx file, for the peers benchmark ({@code
 * benchmarks/protocol.py infer}): intra-op threads = {@code --threads}, inter-op threads 1, sequential execution,
 * graph optimization level ALL_OPT; warm-up runs (at least {@code --warmup} and {@code --warmup-seconds}), then
 * {@code --reps} timed runs of {@code session.run} (the outputs closed inside the timing); prints the median.
 *
 * <p>The input is the tensor 'input' of {@code --input FILE.safetensors} (or its only tensor), or seeded uniform
 * values in [-1, 1) of {@code --input-shape} (seed 1: the values {@code ./layers4j bench --model} uses). {@code
 * --output FILE} writes the outputs of one run under their ONNX names (checked against layers4j's and PyTorch's).
 *
 * <p>A benchmark-only tool: ONNX Runtime is a dependency of this module only. It runs only with {@code
 * ORT_DISABLE_TELEMETRY=1} in the environment (and turns ONNX Runtime's telemetry off as well).
 *
 * <p>Usage: {@code benchmarks/run-class.sh org.layers4j.bench.OrtBench MODEL.onnx [--threads 2] [--input F |
 * --input-shape 1,3,224,224] [--warmup 3] [--warmup-seconds 1] [--reps 10] [--json OUT] [--output OUT]
 * [--profile PREFIX]}. With {@code --profile}, ONNX Runtime's profiler writes every node's kernel time of every run
 * to PREFIX_DATE.json, which scripts/node_compare.py compares per node with {@code ./layers4j bench --model
 * --profile}.
 */
public final class OrtBench {
    private OrtBench() {
    }

    public static void main(String[] args) throws Exception {
        if (!"1".equals(System.getenv("ORT_DISABLE_TELEMETRY"))) {
            System.err.println("error: OrtBench runs ONNX Runtime only with the environment variable"
                    + " ORT_DISABLE_TELEMETRY=1 (it is " + (System.getenv("ORT_DISABLE_TELEMETRY") == null ? "not set"
                    : "'" + System.getenv("ORT_DISABLE_TELEMETRY") + "'") + "); run it as ORT_DISABLE_TELEMETRY=1"
                    + " benchmarks/run-class.sh org.layers4j.bench.OrtBench ... (benchmarks/protocol.py sets it)");
            System.exit(2);
        }
        if (args.length == 0 || args[0].startsWith("--")) {
            System.err.println("usage: OrtBench MODEL.onnx [--threads N] [--input FILE.safetensors | --input-shape"
                    + " N,C,H,W] [--warmup N] [--warmup-seconds S] [--reps N] [--json OUT] [--output OUT.safetensors] [--profile PREFIX]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int threads = 2;
        int warmup = 3;
        double warmupSeconds = 1.0;
        int reps = 10;
        String json = null;
        String output = null;
        String input = null;
        String inputShape = "1,3,224,224";
        String profile = null;
        for (int i = 1; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) {
                System.err.println("error: " + args[i] + " needs a value");
                System.exit(2);
            }
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(v);
                case "--reps" -> reps = Integer.parseInt(v);
                case "--json" -> json = v;
                case "--output" -> output = v;
                case "--input" -> input = v;
                case "--input-shape" -> inputShape = v;
                case "--profile" -> profile = v;
                default -> {
                    System.err.println("error: unknown option " + args[i]);
                    System.exit(2);
                }
            }
            i++;
        }
        if (threads < 1 || reps < 1 || warmup < 0 || !(warmupSeconds >= 0)) {
            System.err.println("error: --threads and --reps must be >= 1, --warmup and --warmup-seconds >= 0");
            System.exit(2);
        }
        float[] data;
        int[] dims;
        if (input != null) {
            Map<String, HostTensor> ts = SafeTensors.read(Path.of(input)).tensors();
            HostTensor x = ts.containsKey("input") ? ts.get("input") : ts.size() == 1 ? ts.values().iterator().next() : null;
            if (x == null || x.dtype() != DType.FLOAT32) {
                System.err.println("error: " + input + " holds no float32 tensor 'input' (nor a single float32 tensor)");
                System.exit(2);
            }
            data = x.data();
            dims = x.shape().dims();
        } else {
            dims = Arrays.stream(inputShape.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            data = new float[(int) Shape.elementCount(dims)];
            SplittableRandom rng = new SplittableRandom(1);
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (rng.nextDouble() * 2 - 1);
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        env.setTelemetry(false);
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (profile != null) {
                // ORT's own profiler: a Chrome trace of every node's kernel time in every run (warm-up included);
                // scripts/node_compare.py takes the last --reps runs of each node
                opts.enableProfiling(profile);
            }
            try (OrtSession session = env.createSession(model.toString(), opts);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data),
                         Arrays.stream(dims).asLongStream().toArray())) {
                Map<String, OnnxTensor> feed = Map.of(session.getInputNames().iterator().next(), x);
                if (output != null) {
                    write(session, feed, Path.of(output));
                }
                long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
                for (int i = 0; i < warmup || System.nanoTime() < warmEnd; i++) {
                    once(session, feed);
                }
                double[] times = new double[reps];
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    once(session, feed);
                    times[i] = (System.nanoTime() - t0) / 1e6;
                }
                double median = median(times);
                System.out.printf("onnxruntime %s, %d intra-op threads, 1 inter-op, ALL_OPT, model %s, input %s: median"
                        + " %.3f ms (%d timed runs)%n", env.getVersion(), threads, model.getFileName(),
                        Arrays.toString(dims), median, reps);
                if (profile != null) {
                    System.out.println("profile: " + session.endProfiling());
                }
                if (json != null) {
                    ObjectMapper mapper = new ObjectMapper();
                    ObjectNode root = mapper.createObjectNode();
                    root.put("system", "onnxruntime");
                    root.put("version", env.getVersion());
                    root.put("model", model.toString());
                    root.put("intra_op_threads", threads);
                    root.put("inter_op_threads", 1);
                    root.put("optimization_level", "ALL_OPT");
                    ArrayNode in = root.putArray("input_shape");
                    Arrays.stream(dims).forEach(in::add);
                    if (input != null) {
                        root.put("input_file", input);
                    }
                    root.put("reps", reps);
                    root.put("median_ms", median);
                    ArrayNode ts = root.putArray("times_ms");
                    Arrays.stream(times).forEach(ts::add);
                    mapper.writerWithDefaultPrettyPrinter().writeValue(new File(json), root);
                }
            }
        }
    }

    private static void once(OrtSession session, Map<String, OnnxTensor> feed) throws OrtException {
        try (OrtSession.Result r = session.run(feed)) {
            if (r.size() == 0) {
                throw new IllegalStateException("the model returned no output");
            }
        }
    }

    /** The outputs of one run, by their ONNX names, as float32 safetensors. */
    private static void write(OrtSession session, Map<String, OnnxTensor> feed, Path out) throws Exception {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        try (OrtSession.Result r = session.run(feed)) {
            List<String> names = List.copyOf(session.getOutputNames());
            for (int i = 0; i < r.size(); i++) {
                OnnxValue v = r.get(i);
                if (!(v instanceof OnnxTensor t)) {
                    throw new IllegalStateException("output " + names.get(i) + " is not a tensor");
                }
                FloatBuffer fb = t.getFloatBuffer();
                float[] values = new float[fb.remaining()];
                fb.get(values);
                int[] shape = Arrays.stream(t.getInfo().getShape()).mapToInt(d -> (int) d).toArray();
                tensors.put(names.get(i), new HostTensor(Shape.of(shape), values));
            }
        }
        SafeTensors.write(out, tensors, Map.of("format", "pt"));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
