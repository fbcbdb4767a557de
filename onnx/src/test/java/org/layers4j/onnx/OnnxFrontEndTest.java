package org.layers4j.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.io.Models;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/** Hand-made ONNX graphs: layers and trainable initializers, symbolic batch, and clear refusals. */
class OnnxFrontEndTest {
    private final Backend be = Backends.get("cpu");

    /** x [N, 2, 3, 3] -> Conv (1x1, initializer weight) -> Add initializer -> Shape-computed flatten. */
    private static byte[] convFlatten() {
        return new OnnxBytes().input("x", "N", 2L, 3L, 3L).output("y")
                .initializer(OnnxBytes.floatTensor("conv.weight", new long[] {2, 2, 1, 1}, new float[] {1, 2, 3, 4}))
                .initializer(OnnxBytes.floatTensor("shift", new long[] {2, 1, 1}, new float[] {0.5f, -1}))
                .initializer(OnnxBytes.longTensor("zero", new long[] {}, new long[] {0}))
                .initializer(OnnxBytes.longTensor("minus1", new long[] {1}, new long[] {-1}))
                .node("Conv", List.of("x", "conv.weight"), List.of("c"), OnnxBytes.intsAttr("kernel_shape", 1, 1))
                .node("Add", List.of("c", "shift"), List.of("a"))
                .node("Shape", List.of("a"), List.of("s"))
                .node("Gather", List.of("s", "zero"), List.of("n"), OnnxBytes.intAttr("axis", 0))
                .node("Unsqueeze", List.of("n", "zeroAxes"), List.of("n1"))
                .node("Concat", List.of("n1", "minus1"), List.of("shape"), OnnxBytes.intAttr("axis", 0))
                .node("Reshape", List.of("a", "shape"), List.of("y"))
                .initializer(OnnxBytes.longTensor("zeroAxes", new long[] {1}, new long[] {0}))
                .model();
    }

    @Test
    void convLayerTrainableInitializersAndSymbolicBatch(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("m.onnx");
        Files.write(file, convFlatten());
        try (Module m = Models.load(file, be)) {
            assertTrue(m instanceof GraphModule);
            assertTrue(m.parameters().containsKey("conv.weight"), m.parameters().keySet().toString());
            assertTrue(m.parameters().containsKey("initializers.shift"), m.parameters().keySet().toString());
            for (int batch : new int[] {1, 3}) {
                float[] x = new float[batch * 18];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i % 7 - 3;
                }
                try (Tensor in = be.upload(x, Shape.of(batch, 2, 3, 3)); Tensor y = m.forward(in)) {
                    assertEquals(Shape.of(batch, 18), y.shape());
                    float[] v = y.toArray();
                    for (int b = 0; b < batch; b++) {
                        for (int p = 0; p < 9; p++) {
                            float x0 = x[b * 18 + p];
                            float x1 = x[b * 18 + 9 + p];
                            assertEquals(x0 + 2 * x1 + 0.5f, v[b * 18 + p], 1e-6);
                            assertEquals(3 * x0 + 4 * x1 - 1, v[b * 18 + 9 + p], 1e-6);
                        }
                    }
                }
            }
            try (Tensor in = be.upload(new float[36], Shape.of(2, 2, 3, 3));
                 Tensor dy = be.upload(filled(36, 1), Shape.of(2, 18)); Gradients g = m.backward(in, dy)) {
                assertArrayEquals(new float[] {18, 18}, g.parameters().get("initializers.shift").toArray());
                assertTrue(g.parameters().containsKey("conv.weight"));
            }
        }
    }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    /** A Conv layer (initializer weight) with SAME_UPPER or asymmetric pads equals the run-time Conv. */
    @Test
    void convLayerPadsMatchTheRunTimeConv() throws IOException {
        float[] w = new float[2 * 1 * 3 * 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 5) - 2 + 0.25f * i;
        }
        float[] x = new float[2 * 1 * 6 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i * 7 % 11) - 5;
        }
        List<byte[]> padAttrs = List.of(OnnxBytes.stringAttr("auto_pad", "SAME_UPPER"), OnnxBytes.stringAttr(
                "auto_pad", "SAME_LOWER"), OnnxBytes.intsAttr("pads", 0, 1, 2, 1));
        for (byte[] pads : padAttrs) {
            byte[] layer = new OnnxBytes().input("x", "N", 1L, 6L, 5L).output("y")
                    .initializer(OnnxBytes.floatTensor("conv.weight", new long[] {2, 1, 3, 3}, w))
                    .node("Conv", List.of("x", "conv.weight"), List.of("y"), OnnxBytes.intsAttr("strides", 2, 2), pads)
                    .model();
            byte[] runtime = new OnnxBytes().input("x", "N", 1L, 6L, 5L).input("w", 2L, 1L, 3L, 3L).output("y")
                    .node("Conv", List.of("x", "w"), List.of("y"), OnnxBytes.intsAttr("strides", 2, 2), pads).model();
            try (GraphModule a = OnnxModels.fromBytes(layer, be); GraphModule b = OnnxModels.fromBytes(runtime, be);
                 Tensor xt = be.upload(x, Shape.of(2, 1, 6, 5)); Tensor wt = be.upload(w, Shape.of(2, 1, 3, 3));
                 Tensor ya = a.forward(xt); Tensor yb = (Tensor) b.run(xt, wt)) {
                assertTrue(a.parameters().containsKey("conv.weight"));
                assertEquals(yb.shape(), ya.shape());
                assertArrayEquals(yb.toArray(), ya.toArray(), 1e-5f);
            }
        }
    }

    @Test
    void unsupportedOpNamesNodeOpDomainOpsetAndTheList() {
        byte[] model = new OnnxBytes().input("x", 1L).output("y").node("Einsum", List.of("x"), List.of("y")).model();
        OnnxUnsupportedException e = assertThrows(OnnxUnsupportedException.class, () -> OnnxModels.fromBytes(model, be));
        String msg = e.getMessage();
        assertTrue(msg.contains("'n0'") && msg.contains("Einsum") && msg.contains("domain ''") && msg.contains("opset 13")
                && msg.contains("Conv") && msg.contains("Reshape"), msg);
    }

    @Test
    void refusals() {
        byte[] opset9 = new OnnxBytes().opset(9).input("x", 1L).output("y").node("Relu", List.of("x"), List.of("y"))
                .model();
        assertTrue(assertThrows(OnnxUnsupportedException.class, () -> OnnxModels.fromBytes(opset9, be)).getMessage()
                .contains("opset 9"));
        byte[] domain = new OnnxBytes().input("x", 1L).output("y").node("Relu", "com.example", List.of("x"),
                List.of("y")).model();
        assertTrue(assertThrows(OnnxUnsupportedException.class, () -> OnnxModels.fromBytes(domain, be)).getMessage()
                .contains("com.example"));
        byte[] undefined = new OnnxBytes().input("x", 1L).output("y").node("Add", List.of("x", "ghost"), List.of("y"))
                .model();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OnnxModels.fromBytes(undefined, be))
                .getMessage().contains("'ghost'"));
        byte[] cycle = new OnnxBytes().input("x", 1L).output("b").node("Add", List.of("x", "b"), List.of("a"))
                .node("Relu", List.of("a"), List.of("b")).model();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OnnxModels.fromBytes(cycle, be)).getMessage()
                .contains("cycle"));
        byte[] body = new OnnxBytes().output("z").node("Relu", List.of("x"), List.of("z")).graph();
        byte[] ifNode = new OnnxBytes().input("x", 1L).output("y").node("If", List.of("x"), List.of("y"),
                OnnxBytes.graphAttr("then_branch", body), OnnxBytes.graphAttr("else_branch", body)).model();
        assertThrows(OnnxUnsupportedException.class, () -> OnnxModels.fromBytes(ifNode, be));
        byte[] loop = new OnnxBytes().input("x", 1L).output("y").node("Relu", List.of("x"), List.of("y"),
                OnnxBytes.graphAttr("body", body)).model();
        assertTrue(assertThrows(OnnxUnsupportedException.class, () -> OnnxModels.fromBytes(loop, be)).getMessage()
                .contains("subgraph"));
    }

    @Test
    void hugeShapesAreRefusedBeforeAllocation() throws IOException {
        byte[] reshape = new OnnxBytes().input("x", 4L).output("y")
                .initializer(OnnxBytes.longTensor("s", new long[] {3}, new long[] {1L << 30, 1L << 30, 1L << 30}))
                .node("Reshape", List.of("x", "s"), List.of("y")).model();
        byte[] expand = new OnnxBytes().input("x", 4L).output("y")
                .initializer(OnnxBytes.longTensor("s", new long[] {2}, new long[] {1L << 30, 4}))
                .node("Expand", List.of("x", "s"), List.of("y")).model();
        byte[] constantOfShape = new OnnxBytes().input("x", 4L).output("y")
                .initializer(OnnxBytes.longTensor("s", new long[] {2}, new long[] {1L << 31, 1L << 31}))
                .node("ConstantOfShape", List.of("s"), List.of("y")).model();
        // a shape computed from constants alone is folded, so refused at load; else at the call
        for (byte[] b : List.of(reshape, expand, constantOfShape)) {
            RuntimeException e = assertThrows(IllegalArgumentException.class, () -> {
                try (GraphModule m = OnnxModels.fromBytes(b, be); Tensor x = be.upload(new float[4], Shape.of(4))) {
                    m.forward(x).close();
                }
            });
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        }
    }

    @Test
    void truncatedAndForeignBytesAreIoErrors() {
        byte[] model = convFlatten();
        assertThrows(IOException.class, () -> OnnxModels.fromBytes(java.util.Arrays.copyOf(model, model.length / 2),
                be));
        assertThrows(IOException.class, () -> OnnxModels.fromBytes("not a model at all".getBytes(), be));
    }
}
