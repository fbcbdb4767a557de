package org.layers4j.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.graph.passes.FusedConv;
import org.layers4j.io.Models;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * ONNX graphs compiled for inference: BatchNormalization after a Conv folds into it, Relu and a residual Add fuse
 * into the convolution, and the outputs meet the pass rule against the graph run as converted.
 */
class OnnxCompiledInferenceTest {
    private final Backend be = Backends.get("cpu");

    private static float[] random(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return v;
    }

    /** x -> Conv -> BatchNormalization -> Relu -> Conv -> BatchNormalization -> Add(x) -> Relu, all 3 channels. */
    private static byte[] residualBlock() {
        SplittableRandom r = new SplittableRandom(11);
        OnnxBytes b = new OnnxBytes().input("x", "N", 3L, 8L, 8L).output("y");
        for (int i = 1; i <= 2; i++) {
            b.initializer(OnnxBytes.floatTensor("w" + i, new long[] {3, 3, 3, 3}, random(r, 81, -0.5, 0.5)))
                    .initializer(OnnxBytes.floatTensor("b" + i, new long[] {3}, random(r, 3, -0.5, 0.5)))
                    .initializer(OnnxBytes.floatTensor("scale" + i, new long[] {3}, random(r, 3, 0.5, 1.5)))
                    .initializer(OnnxBytes.floatTensor("shift" + i, new long[] {3}, random(r, 3, -0.5, 0.5)))
                    .initializer(OnnxBytes.floatTensor("mean" + i, new long[] {3}, random(r, 3, -0.5, 0.5)))
                    .initializer(OnnxBytes.floatTensor("var" + i, new long[] {3}, random(r, 3, 0.2, 1.5)));
        }
        return b.node("Conv", List.of("x", "w1", "b1"), List.of("c1"), OnnxBytes.intsAttr("pads", 1, 1, 1, 1))
                .node("BatchNormalization", List.of("c1", "scale1", "shift1", "mean1", "var1"), List.of("n1"))
                .node("Relu", List.of("n1"), List.of("r1"))
                .node("Conv", List.of("r1", "w2", "b2"), List.of("c2"), OnnxBytes.intsAttr("pads", 1, 1, 1, 1))
                .node("BatchNormalization", List.of("c2", "scale2", "shift2", "mean2", "var2"), List.of("n2"))
                .node("Add", List.of("n2", "x"), List.of("s"))
                .node("Relu", List.of("s"), List.of("y"))
                .model();
    }

    @Test
    void batchNormalizationFoldsAndReluAndAddFuseWithinThePassRule() throws IOException {
        byte[] model = residualBlock();
        try (GraphModule plain = OnnxModels.fromBytes(model, be);
             GraphModule compiled = OnnxModels.fromBytes(model, be).compileForInference();
             Tensor x = be.upload(random(new SplittableRandom(3), 2 * 3 * 64, -1, 1), Shape.of(2, 3, 8, 8));
             Tensor a = plain.forward(x); Tensor b = compiled.forward(x)) {
            float[] e = a.toArray();
            float[] got = b.toArray();
            double max = 0;
            double diff = 0;
            for (int i = 0; i < e.length; i++) {
                max = Math.max(max, Math.abs(e[i]));
                diff = Math.max(diff, Math.abs((double) got[i] - e[i]));
            }
            assertTrue(diff <= 1e-4 * Math.max(1, max), "max error " + diff);
            Graph g = compiled.inferenceGraph();
            List<String> targets = g.nodes().stream().filter(n -> n.op() == Node.Opcode.CALL_FUNCTION)
                    .map(Node::target).toList();
            assertEquals(List.of(FusedConv.OP, FusedConv.OP), targets, g.toString());
            assertEquals("onnx.Add", g.nodes().get(2).kwargs().get("add"), g.toString());
            assertTrue(g.nodes().stream().noneMatch(n -> n.op() == Node.Opcode.GET_ATTR), "unread initializers dropped");
        }
    }

    @Test
    void modelsLoadCompilesAnOnnxFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("block.onnx");
        Files.write(file, residualBlock());
        try (Module m = Models.load(file, be)) {
            assertTrue(((GraphModule) m).isCompiledForInference());
        }
    }
}
