package org.layers4j.cuda.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.cuda.CudaBackendProvider;
import org.layers4j.cuda.CudaSettings;
import org.layers4j.cuda.CudnnBackend;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.spi.Availability;

/**
 * The GPU-only checks of the CUDA backend as a program, so the GPU bundle's run.sh and the JUnit
 * tests run the very same code: {@code info}, {@code leak} (create / forward / close cycles, device
 * memory back to where it started), {@code concurrency} (threads × forwards on shared layers,
 * bit-identical to one thread), {@code oom} (a tiny workspace limit still computes the same result
 * with a lower-ranked algorithm), {@code determinism} (deterministic mode, bit-identical runs) and
 * {@code benchmark} (algorithms timed by cudnnFind...AlgorithmEx give the heuristics' results).
 * Exit status: 0 all passed, 1 a check failed, 2 CUDA is unavailable (the reason on stderr).
 */
public final class GpuChecks {

    private GpuChecks() {
    }

    public static void main(String[] args) {
        String cmd = args.length > 0 ? args[0] : "all";
        Availability a = new CudaBackendProvider().availability();
        if (cmd.equals("info")) {
            System.out.println("cuda: " + (a.available() ? "available" : "unavailable: " + a.reason()));
            a.details().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> System.out.println("  " + e.getKey() + ": " + e.getValue()));
        }
        if (!a.available()) {
            System.err.println("CUDA unavailable: " + a.reason());
            System.exit(2);
        }
        if (cmd.equals("info")) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (String check : cmd.equals("all") ? List.of("leak", "concurrency", "oom", "determinism", "benchmark") : List.of(cmd)) {
            long t0 = System.nanoTime();
            try {
                String result = run(check, args);
                System.out.printf(Locale.ROOT, "PASS %s (%.1f s): %s%n", check, (System.nanoTime() - t0) / 1e9, result);
            } catch (AssertionError | RuntimeException e) {
                System.out.printf(Locale.ROOT, "FAIL %s (%.1f s): %s%n", check, (System.nanoTime() - t0) / 1e9, e);
                failures.add(check);
            }
        }
        System.out.println(failures.isEmpty() ? "all GPU checks passed" : "failed: " + String.join(", ", failures));
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static String run(String check, String[] args) {
        switch (check) {
            case "leak":
                return leak(args.length > 1 ? Integer.parseInt(args[1]) : 10_000);
            case "concurrency":
                return concurrency(args.length > 1 ? Integer.parseInt(args[1]) : 8,
                        args.length > 2 ? Integer.parseInt(args[2]) : 1_000);
            case "oom":
                return tinyWorkspace();
            case "determinism":
                return determinism();
            case "benchmark":
                return benchmarkMode();
            default:
                throw new IllegalArgumentException("unknown check '" + check
                        + "': expected info, leak, concurrency, oom, determinism, benchmark or all");
        }
    }

    /** A backend on cuda:0 with extra configuration (key, value pairs). */
    public static CudnnBackend backend(String... keyValues) {
        Config c = Config.load();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            c = c.with(keyValues[i], keyValues[i + 1]);
        }
        return (CudnnBackend) new CudaBackendProvider().create(0, c);
    }

    /**
     * {@code cycles} times: build a reflect-padded Conv2d, upload an input, forward, close all. Passes
     * when device free memory ends within 1% of where it started (after one warm-up cycle filled the
     * allocator's cache) and the allocator made no cudaMalloc after the warm-up.
     */
    public static String leak(int cycles) {
        try (CudnnBackend b = backend()) {
            SplittableRandom rng = new SplittableRandom(7);
            float[] input = random(rng, 4 * 16 * 32 * 32);
            cycle(b, input);
            long mallocs = b.mallocCalls();
            long start = b.memoryInfo()[0];
            for (int i = 0; i < cycles; i++) {
                cycle(b, input);
            }
            long end = b.memoryInfo()[0];
            double drift = (start - end) / (double) start;
            String summary = String.format(Locale.ROOT, "%d cycles, free %d -> %d bytes (%.3f%%), cudaMalloc calls after"
                    + " warm-up %d, live %d bytes, contexts %d", cycles, start, end, 100 * drift,
                    b.mallocCalls() - mallocs, b.liveBytes(), b.contextCount());
            if (drift > 0.01) {
                throw new AssertionError("device memory leaked: " + summary);
            }
            if (b.mallocCalls() != mallocs) {
                throw new AssertionError("steady state still calls cudaMalloc: " + summary);
            }
            return summary;
        }
    }

    private static void cycle(CudnnBackend b, float[] input) {
        try (Conv2d conv = Conv2d.builder(16, 32, 3).padding(1).paddingMode(PaddingMode.REFLECT).backend(b).seed(1)
                .build();
             Tensor x = b.upload(input, Shape.of(4, 16, 32, 32));
             Tensor y = conv.forward(x)) {
            if (y.shape().dim(1) != 32) {
                throw new AssertionError("unexpected output " + y);
            }
        }
    }

    /**
     * {@code threads} threads each run {@code iterations} forwards through the same layers (Conv2d
     * with groups, ReLU, Conv1d) on a rotating set of inputs; every output must equal, bit for bit,
     * the single-threaded output for that input.
     */
    public static String concurrency(int threads, int iterations) {
        try (CudnnBackend b = backend()) {
            Conv2d conv2 = Conv2d.builder(8, 16, 3).padding(1).groups(2).backend(b).seed(2).build();
            ReLU relu = new ReLU(b);
            Conv1d conv1 = Conv1d.builder(16, 4, 5).padding("same").paddingMode(PaddingMode.CIRCULAR).backend(b).seed(3)
                    .build();
            int inputs = 16;
            SplittableRandom rng = new SplittableRandom(11);
            List<Tensor> xs = new ArrayList<>();
            List<float[]> expected = new ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                xs.add(b.upload(random(rng, 2 * 8 * 12 * 12), Shape.of(2, 8, 12, 12)));
                expected.add(forward(conv2, relu, conv1, xs.get(i)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int offset = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < iterations; i++) {
                            int k = (i + offset) % inputs;
                            float[] got = forward(conv2, relu, conv1, xs.get(k));
                            if (!Arrays.equals(got, expected.get(k))) {
                                throw new AssertionError("thread " + offset + " iteration " + i + " input " + k
                                        + " differs from the single-threaded result");
                            }
                        }
                        return iterations;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : futures) {
                    total += f.get();
                }
                return threads + " threads x " + iterations + " forwards = " + total + ", all identical to one thread;"
                        + " handles/streams used: " + b.contextCount();
            } catch (Exception e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                if (c instanceof AssertionError) {
                    throw (AssertionError) c;
                }
                throw new IllegalStateException(c);
            } finally {
                pool.shutdownNow();
                xs.forEach(Tensor::close);
                conv2.close();
                conv1.close();
            }
        }
    }

    private static float[] forward(Conv2d conv2, ReLU relu, Conv1d conv1, Tensor x) {
        try (Tensor a = conv2.forward(x);
             Tensor r = relu.forward(a);
             Tensor seq = r.reshape(Shape.of(2, 16, 144));
             Tensor y = conv1.forward(seq)) {
            return y.toArray();
        }
    }

    /**
     * With {@code layers4j.cuda.workspaceLimitBytes=1} only algorithms that need no workspace may run;
     * forward and both gradients must still match the unlimited backend within the fixtures' tolerance.
     */
    public static String tinyWorkspace() {
        float[][] unlimited;
        float[][] tiny;
        try (CudnnBackend b = backend()) {
            unlimited = forwardBackward(b, false);
        }
        try (CudnnBackend b = backend(CudaSettings.WORKSPACE_LIMIT, "1")) {
            tiny = forwardBackward(b, false);
        }
        String[] names = {"output", "grad_input", "grad_weight", "grad_bias"};
        StringBuilder s = new StringBuilder("workspace limit 1 byte:");
        for (int i = 0; i < names.length; i++) {
            double err = maxRelError(tiny[i], unlimited[i]);
            if (err > 1e-4) {
                throw new AssertionError(names[i] + " differs from the unlimited workspace by " + err);
            }
            s.append(' ').append(names[i]).append(String.format(Locale.ROOT, " %.2e", err));
        }
        return s.toString();
    }

    /** Benchmark mode (Find...AlgorithmEx, cached) computes what the heuristic choice computes, twice over. */
    public static String benchmarkMode() {
        float[][] heuristic;
        try (CudnnBackend b = backend()) {
            heuristic = forwardBackward(b, false);
        }
        try (CudnnBackend b = backend(CudaSettings.BENCHMARK, "true")) {
            for (int run = 0; run < 2; run++) {
                float[][] timed = forwardBackward(b, false);
                for (int i = 0; i < timed.length; i++) {
                    double err = maxRelError(timed[i], heuristic[i]);
                    if (err > 1e-4) {
                        throw new AssertionError("benchmark mode, run " + run + ", tensor " + i + " differs by " + err);
                    }
                }
            }
            return "benchmark mode matches the heuristic choice (first run timed the algorithms, second reused them)";
        }
    }

    /** Deterministic mode: two runs of forward and backward give bit-identical results. */
    public static String determinism() {
        try (CudnnBackend b = backend(CudaSettings.DETERMINISTIC, "true")) {
            float[][] first = forwardBackward(b, true);
            float[][] second = forwardBackward(b, true);
            for (int i = 0; i < first.length; i++) {
                if (!Arrays.equals(first[i], second[i])) {
                    throw new AssertionError("deterministic mode gave different results in tensor " + i);
                }
            }
            return "forward and backward bit-identical across runs (" + first.length + " tensors)";
        }
    }

    /** Output, input gradient, weight gradient and bias gradient of a strided, dilated Conv2d. */
    private static float[][] forwardBackward(CudnnBackend b, boolean large) {
        int c = large ? 64 : 32;
        SplittableRandom rng = new SplittableRandom(5);
        try (Conv2d conv = Conv2d.builder(c, 64, 3).padding(2).dilation(2).backend(b).seed(4).build();
             Tensor x = b.upload(random(rng, 8 * c * 40 * 40), Shape.of(8, c, 40, 40));
             Tensor y = conv.forward(x);
             Tensor dy = b.upload(random(rng, y.shape().size()), y.shape());
             Gradients g = conv.backward(x, dy)) {
            return new float[][] {y.toArray(), g.input().toArray(), g.weight().toArray(), g.bias().toArray()};
        }
    }

    private static double maxRelError(float[] actual, float[] expected) {
        double maxAbs = 1;
        double err = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            err = Math.max(err, Math.abs(actual[i] - expected[i]));
        }
        return err / maxAbs;
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }
}
