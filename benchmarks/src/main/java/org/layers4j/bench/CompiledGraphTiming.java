package org.layers4j.bench;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphModule;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * A graph model uncompiled against the same model compiled for inference ({@link GraphModule#compileForInference}:
 * BatchNorm folded, convolutions on prepared weights with fused epilogues), same weights, in one JVM, eval forward,
 * pairs alternating A/B then B/A after a common warm-up, so a noisy host hits both sides alike. Checks the outputs
 * against each other first (the pass rule), then prints every pair, each side's median and minimum and the median of
 * the per-pair ratios compiled / uncompiled, and the calling thread's CPU time (all the work with one CPU thread,
 * {@code -Dlayers4j.cpu.threads=1}, and robust against a loaded host). Usage:
 * {@code CompiledGraphTiming resnet18|resnet50 BATCH PAIRS [SIZE]}.
 */
public final class CompiledGraphTiming {
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private CompiledGraphTiming() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: CompiledGraphTiming resnet18|resnet50 BATCH PAIRS [SIZE]");
            System.exit(2);
        }
        String name = args[0];
        int batch = Integer.parseInt(args[1]);
        int pairs = Integer.parseInt(args[2]);
        int size = args.length > 3 ? Integer.parseInt(args[3]) : 224;
        Backend be = Backends.get("cpu");
        Graph graph = ResNetGraphs.of(name);
        try (GraphModule plain = new GraphModule(graph, be); GraphModule compiled = new GraphModule(graph, be)) {
            ResNetGraphs.randomize(plain, 1);
            StateDicts.load(compiled, StateDicts.of(plain));
            plain.eval();
            compiled.eval();
            compiled.compileForInference();
            try (Tensor x = ModelPairTiming.gaussian(be, Shape.of(batch, 3, size, size))) {
                check(plain, compiled, x);
                for (int i = 0; i < 5; i++) {
                    ModelPairTiming.time(plain, x);
                    ModelPairTiming.time(compiled, x);
                }
                double[] a = new double[pairs];
                double[] b = new double[pairs];
                double[] ca = new double[pairs];
                double[] cb = new double[pairs];
                double[] ratio = new double[pairs];
                for (int i = 0; i < pairs; i++) {
                    if (i % 2 == 0) {
                        a[i] = timed(plain, x, ca, i);
                        b[i] = timed(compiled, x, cb, i);
                    } else {
                        b[i] = timed(compiled, x, cb, i);
                        a[i] = timed(plain, x, ca, i);
                    }
                    ratio[i] = b[i] / a[i];
                    System.out.printf("pair %2d  uncompiled %8.3f ms (cpu %8.3f)  compiled %8.3f ms (cpu %8.3f)%n", i,
                            a[i], ca[i], b[i], cb[i]);
                }
                System.out.printf("%s batch %d, %dx%d, %d pairs: uncompiled median %.3f ms (min %.3f), compiled median"
                        + " %.3f ms (min %.3f), median of per-pair ratios compiled/uncompiled %.4f; calling thread's CPU"
                        + " time medians %.3f / %.3f ms%n", name, batch, size, size, pairs, ModelPairTiming.median(a),
                        ModelPairTiming.min(a), ModelPairTiming.median(b), ModelPairTiming.min(b), ModelPairTiming.median(ratio),
                        ModelPairTiming.median(ca), ModelPairTiming.median(cb));
            }
        }
    }

    private static void check(Module a, Module b, Tensor x) {
        double[] d = ModelPairTiming.difference(a, b, x);
        System.out.printf("outputs: max |compiled - uncompiled| = %.3g, max |uncompiled| = %.3g, relative %.3g%n",
                d[0], d[1], d[0] / Math.max(1, d[1]));
        if (d[0] > 1e-4 * Math.max(1, d[1])) {
            throw new AssertionError("the compiled model's output breaks the pass rule");
        }
    }

    /**
     * Milliseconds of one forward; the calling thread's CPU time into {@code cpu[i]}, which with
     * {@code -Dlayers4j.cpu.threads=1} is all the work and does not count the time other processes took the core.
     */
    private static double timed(Module m, Tensor x, double[] cpu, int i) {
        long c0 = THREADS.getCurrentThreadCpuTime();
        double ms = ModelPairTiming.time(m, x);
        cpu[i] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e6;
        return ms;
    }
}
