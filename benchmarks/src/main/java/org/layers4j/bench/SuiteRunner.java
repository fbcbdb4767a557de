package org.layers4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.conformance.BenchmarkCase;
import org.layers4j.cpu.CpuBackend;
import org.layers4j.spi.ConvGeometry;

/**
 * Times the CPU backend on the benchmark suite (shared/bench/suite.json) at the SPI level, the same work
 * PyTorch's {@code conv(x)} and {@code autograd.grad(y, [x, w, b])} do: forward is convolution + bias,
 * backward is grad input + grad weight + grad bias. Median of timed runs after warm-up, like
 * shared/bench/torch_reference.py and benchmarks/torch_backward.py, so the numbers sit side by side.
 *
 * <p>Timing through the public layer API (a new output tensor per call) is the CLI's
 * {@code ./layers4j bench}; {@code benchmarks/compare.py --api} uses it.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp ... org.layers4j.bench.SuiteRunner
 * [--suite FILE] [--threads 2] [--reps 10] [--warmup 3] [--warmup-seconds 0] [--backward] [--case NAME]...
 * [--kernels auto|scalar] [--json OUT]}
 */
public final class SuiteRunner {
    private SuiteRunner() {
    }

    public static void main(String[] args) throws IOException {
        String suite = "../shared/bench/suite.json";
        int threads = 2;
        int reps = 10;
        int warmup = 3;
        double warmupSeconds = 0;
        boolean backward = false;
        String kernels = "auto";
        String json = null;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--suite": suite = args[++i]; break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                case "--reps": reps = Integer.parseInt(args[++i]); break;
                case "--warmup": warmup = Integer.parseInt(args[++i]); break;
                case "--warmup-seconds": warmupSeconds = Double.parseDouble(args[++i]); break;
                case "--backward": backward = true; break;
                case "--kernels": kernels = args[++i]; break;
                case "--json": json = args[++i]; break;
                case "--case": only.add(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        ObjectMapper mapper = new ObjectMapper();
        List<BenchmarkCase> cases = BenchmarkCase.parse(java.nio.file.Files.readString(new File(suite).toPath()));
        Config config = Config.load().with(Config.CPU_THREADS, Integer.toString(threads)).with("layers4j.cpu.kernels", kernels);
        ArrayNode results = mapper.createArrayNode();
        try (CpuBackend be = new CpuBackend(config)) {
            System.out.printf("layers4j cpu, %d threads, %s, %s, >= %d warm-up runs and >= %.1f s + %d timed, median%n",
                    threads, be.kernelDescription(), backward ? "backward (dx + dw + db)" : "forward (conv + bias)", warmup,
                    warmupSeconds, reps);
            for (BenchmarkCase c : cases) {
                String name = c.name();
                if (!only.isEmpty() && !only.contains(name)) {
                    continue;
                }
                ConvGeometry g = c.geometry();
                double ms = time(be, g, backward, warmup, warmupSeconds, reps);
                double gflops = (backward ? 2 : 1) * g.flops() / (ms * 1e-3) / 1e9;
                System.out.printf("%-14s %9.2f ms %8.1f GFLOP/s%n", name, ms, gflops);
                ObjectNode o = results.addObject();
                o.put("name", name);
                o.put("median_ms", ms);
                o.put("gflops", gflops);
            }
        }
        if (json != null) {
            ObjectNode root = mapper.createObjectNode();
            root.put("engine", "layers4j cpu");
            root.put("threads", threads);
            root.put("mode", backward ? "backward" : "forward");
            root.set("results", results);
            mapper.writerWithDefaultPrettyPrinter().writeValue(new File(json), root);
        }
    }

    private static float[] random(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    /** Median milliseconds of one pass. */
    private static double time(CpuBackend be, ConvGeometry g, boolean backward, int minWarmup, double warmupSeconds,
                               int reps) {
        Random r = new Random(1);
        Shape xs = Shape.of(g.n(), g.c(), g.h(), g.w());
        Shape ws = Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw());
        Shape ys = Shape.of(g.n(), g.k(), g.outH(), g.outW());
        try (Tensor x = be.upload(random(r, xs.size()), xs); Tensor w = be.upload(random(r, ws.size()), ws);
             Tensor b = be.upload(random(r, g.k()), Shape.of(g.k())); Tensor y = be.allocate(ys);
             Tensor dy = be.upload(random(r, ys.size()), ys); Tensor dx = be.allocate(xs); Tensor dw = be.allocate(ws);
             Tensor db = be.allocate(Shape.of(g.k()))) {
            // warm-up: at least minWarmup runs and at least warmupSeconds, so C2 has compiled the real call sites
            int warmup = 0;
            long warmStart = System.nanoTime();
            while (warmup < minWarmup || System.nanoTime() - warmStart < warmupSeconds * 1e9) {
                if (backward) {
                    be.convolution().backwardData(g, dy, w, dx);
                    be.convolution().backwardFilter(g, x, dy, dw);
                    be.convolution().biasGradient(dy, db);
                } else {
                    be.convolution().forward(g, x, w, b, y);
                }
                warmup++;
            }
            double[] t = new double[reps];
            double[][] parts = new double[3][reps];
            for (int i = warmup; i < warmup + reps; i++) {
                long t0 = System.nanoTime();
                long t1;
                long t2;
                if (backward) {
                    be.convolution().backwardData(g, dy, w, dx);
                    t1 = System.nanoTime();
                    be.convolution().backwardFilter(g, x, dy, dw);
                    t2 = System.nanoTime();
                    be.convolution().biasGradient(dy, db);
                } else {
                    // the bias is added as the outputs are stored, as PyTorch's convolution does
                    be.convolution().forward(g, x, w, b, y);
                    t1 = System.nanoTime();
                    t2 = t1;
                }
                long t3 = System.nanoTime();
                if (i >= warmup) {
                    t[i - warmup] = (t3 - t0) / 1e6;
                    parts[0][i - warmup] = (t1 - t0) / 1e6;
                    parts[1][i - warmup] = (t2 - t1) / 1e6;
                    parts[2][i - warmup] = (t3 - t2) / 1e6;
                }
            }
            if (backward) {
                System.out.printf("    (dx %.2f ms, dw %.2f ms, db %.2f ms)%n", median(parts[0]), median(parts[1]),
                        median(parts[2]));
            }
            return median(t);
        }
    }

    private static double median(double[] v) {
        double[] t = v.clone();
        Arrays.sort(t);
        int n = t.length;
        return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    }
}
