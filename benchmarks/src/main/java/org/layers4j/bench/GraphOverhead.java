package org.layers4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.Models;
import org.layers4j.models.ResNet;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * The graph interpreter's cost, measured so that a noisy host hits both sides alike: the hand-written Java
 * {@link ResNet#resnet18} and the same model saved as a graph file and loaded back ({@code Models.save} /
 * {@code Models.fromContents}, uncompiled: same weights), in one JVM, eval forward, alternating A/B then B/A every
 * pair, after a common warm-up. Prints every pair's times, the median of each side and the median of the per-pair
 * ratios (graph / Java). Usage: {@code GraphOverhead BATCH PAIRS [SIZE]}.
 */
public final class GraphOverhead {
    private GraphOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 224;
        Backend be = Backends.get("cpu");
        Path file = Files.createTempFile("resnet18-graph", ".safetensors");
        try (ResNet java = ResNet.resnet18(1000, be)) {
            java.eval();
            Models.save(java, file);
            // the graph as written: Models.load would compile it for inference (BatchNorm folding rounds differently)
            try (Module graph = Models.fromContents(org.layers4j.io.SafeTensors.read(file), be)) {
                float[] data = new float[batch * 3 * size * size];
                SplittableRandom r = new SplittableRandom(1);
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) r.nextGaussian();
                }
                try (Tensor x = be.upload(data, Shape.of(batch, 3, size, size))) {
                    check(java, graph, x);
                    for (int i = 0; i < 5; i++) {
                        time(java, x);
                        time(graph, x);
                    }
                    double[] a = new double[pairs];
                    double[] b = new double[pairs];
                    double[] ratio = new double[pairs];
                    for (int i = 0; i < pairs; i++) {
                        if (i % 2 == 0) {
                            a[i] = time(java, x);
                            b[i] = time(graph, x);
                        } else {
                            b[i] = time(graph, x);
                            a[i] = time(java, x);
                        }
                        ratio[i] = b[i] / a[i];
                        System.out.printf("pair %2d  java %8.3f ms  graph %8.3f ms%n", i, a[i], b[i]);
                    }
                    System.out.printf("batch %d, %dx%d, %d pairs: java median %.3f ms (min %.3f), graph median %.3f ms"
                            + " (min %.3f), median of per-pair ratios graph/java %.4f%n", batch, size, size, pairs,
                            median(a), min(a), median(b), min(b), median(ratio));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void check(Module a, Module b, Tensor x) {
        try (Tensor ya = a.forward(x); Tensor yb = b.forward(x)) {
            if (!Arrays.equals(ya.toArray(), yb.toArray())) {
                throw new AssertionError("the graph model's output differs from the Java model's");
            }
        }
    }

    private static double time(Module m, Tensor x) {
        return ModelPairTiming.time(m, x);
    }

    private static double median(double[] v) {
        return ModelPairTiming.median(v);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
