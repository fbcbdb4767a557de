package org.layers4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
                try (Tensor x = ModelPairTiming.gaussian(be, Shape.of(batch, 3, size, size))) {
                    check(java, graph, x);
                    ModelPairTiming.Pairs t = ModelPairTiming.alternate(() -> ModelPairTiming.time(java, x),
                            () -> ModelPairTiming.time(graph, x), pairs);
                    for (int i = 0; i < pairs; i++) {
                        System.out.printf("pair %2d  java %8.3f ms  graph %8.3f ms%n", i, t.a()[i], t.b()[i]);
                    }
                    System.out.printf("batch %d, %dx%d, %d pairs: java median %.3f ms (min %.3f), graph median %.3f ms"
                            + " (min %.3f), median of per-pair ratios graph/java %.4f%n", batch, size, size, pairs,
                            ModelPairTiming.median(t.a()), ModelPairTiming.min(t.a()), ModelPairTiming.median(t.b()),
                            ModelPairTiming.min(t.b()), ModelPairTiming.median(t.ratio()));
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
}
