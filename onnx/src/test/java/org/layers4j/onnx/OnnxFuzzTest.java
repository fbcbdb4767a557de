package org.layers4j.onnx;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.spi.Backend;

/**
 * Fuzzed ONNX bytes: random bytes and valid models with bytes flipped, cut or spliced either load and run or
 * fail with a clear exception (IOException, IllegalArgumentException, UnsupportedOperationException) — never
 * another exception, a crash or an OutOfMemoryError.
 */
class OnnxFuzzTest {
    private static final Backend BE = Backends.get("cpu");

    private static byte[] seed(int which) {
        return switch (which % 3) {
            case 0 -> new OnnxBytes().input("x", "N", 4L).output("y")
                    .initializer(OnnxBytes.floatTensor("w", new long[] {3, 4}, new float[12]))
                    .initializer(OnnxBytes.longTensor("s", new long[] {2}, new long[] {-1, 3}))
                    .node("Gemm", List.of("x", "w"), List.of("g"), OnnxBytes.intAttr("transB", 1))
                    .node("Relu", List.of("g"), List.of("r"))
                    .node("Reshape", List.of("r", "s"), List.of("y")).model();
            case 1 -> new OnnxBytes().input("x", 1L, 4L).output("y")
                    .node("Softmax", List.of("x"), List.of("a"), OnnxBytes.intAttr("axis", 1))
                    .node("Unsqueeze", List.of("a", "ax"), List.of("y"))
                    .initializer(OnnxBytes.longTensor("ax", new long[] {1}, new long[] {0})).model();
            default -> new OnnxBytes().input("x", 1L, 4L).output("y")
                    .node("Transpose", List.of("x"), List.of("t"), OnnxBytes.intsAttr("perm", 1, 0))
                    .node("Flatten", List.of("t"), List.of("y"), OnnxBytes.intAttr("axis", 0)).model();
        };
    }

    @Provide
    Arbitrary<byte[]> mutated() {
        return Arbitraries.integers().between(0, 2).flatMap(which -> {
            byte[] base = seed(which);
            return Arbitraries.integers().between(0, base.length - 1).list().ofMinSize(1).ofMaxSize(8).flatMap(
                    positions -> Arbitraries.bytes().list().ofSize(positions.size()).flatMap(values ->
                            Arbitraries.integers().between(1, base.length).map(cut -> {
                                byte[] b = java.util.Arrays.copyOf(base, cut);
                                for (int i = 0; i < positions.size(); i++) {
                                    if (positions.get(i) < b.length) {
                                        b[positions.get(i)] = values.get(i);
                                    }
                                }
                                return b;
                            })));
        });
    }

    @Property(tries = 400)
    void mutatedModelsFailClearly(@ForAll("mutated") byte[] bytes) {
        loadAndRun(bytes);
    }

    @Property(tries = 300)
    void randomBytesFailClearly(@ForAll byte[] bytes) {
        loadAndRun(bytes);
    }

    private static void loadAndRun(byte[] bytes) {
        GraphModule m;
        try {
            m = OnnxModels.fromBytes(bytes, BE);
        } catch (IOException | IllegalArgumentException | UnsupportedOperationException e) {
            requireMessage(e);
            return;
        }
        try (m; Tensor x = BE.upload(new float[] {1, -2, 3, -4}, Shape.of(1, 4))) {
            if (m.inputCount() == 1) {
                Object y = m.run(x);
                org.layers4j.graph.ops.Values.close(y);
            }
        } catch (IllegalArgumentException | UnsupportedOperationException | IllegalStateException e) {
            requireMessage(e);
        }
    }

    private static void requireMessage(Exception e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an exception without a message", e);
        }
    }
}
