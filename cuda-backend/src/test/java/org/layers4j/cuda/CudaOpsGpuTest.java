package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.cuda.tools.GpuChecks;
import org.layers4j.spi.PoolGeometry;
import org.layers4j.testing.TestData;

/**
 * The op families on the GPU, called through the SPI directly (no core layers needed), against the
 * PyTorch references of fixtures/layers: pooling (cuDNN and kernel routes), adaptive pooling, batch norm
 * (inference, training with running statistics, both backwards, affine=False), softmax / log-softmax,
 * sigmoid, tanh, leaky ReLU, Linear's GEMM (cuBLAS when loaded, and always the cuDNN 1x1-convolution
 * path), Embedding's gather / scatter-add; plus INT64 round trips and permutations. Needs a GPU:
 * skipped with the reason elsewhere.
 */
class CudaOpsGpuTest {
    private static CudnnBackend b;

    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
        if (b == null) {
            b = GpuChecks.backend();
        }
    }

    @AfterAll
    static void close() {
        if (b != null) {
            b.close();
        }
    }

    private static Tensor up(LayerFixtures.Fixture f, String name, int... shape) {
        float[] v = f.floats(name);
        return b.upload(v, shape.length == 0 ? Shape.of(f.shapes().get(name)) : Shape.of(shape));
    }

    private static void close(String what, Tensor t, float[] expected) {
        assertEquals(null, TestData.mismatch(b.download(t), TestData.toDouble(expected)), what);
    }

    private static int[] nchw(int[] d) {
        return d.length == 3 ? new int[] {d[0], d[1], 1, d[2]} : d;
    }

    @TestFactory
    Stream<DynamicTest> layerFixturesThroughTheOpFamilies() {
        List<DynamicTest> tests = new ArrayList<>();
        for (LayerFixtures.Fixture f : LayerFixtures.all()) {
            String op = f.op();
            if (op.matches("(max|avg)pool[12]d|adaptive(avg|max)pool[12]d|batchnorm[12]d|(log)?softmax|sigmoid|tanh"
                    + "|leakyrelu|linear|embedding")) {
                tests.add(DynamicTest.dynamicTest(f.name(), () -> run(f)));
            }
        }
        return tests.stream();
    }

    private static void run(LayerFixtures.Fixture f) {
        String op = f.op();
        if (op.endsWith("pool1d") || op.endsWith("pool2d")) {
            pool(f);
        } else if (op.startsWith("batchnorm")) {
            batchNorm(f);
        } else if (op.equals("linear")) {
            linear(f, false);
            linear(f, true);
        } else if (op.equals("embedding")) {
            embedding(f);
        } else {
            activation(f);
        }
    }

    private static void pool(LayerFixtures.Fixture f) {
        String op = f.op();
        int[] in = nchw(f.input());
        int[] out = nchw(f.output());
        try (Tensor x = up(f, "input", in); Tensor dy = up(f, "grad_output", out);
             Tensor y = b.allocate(Shape.of(out)); Tensor dx = b.allocate(Shape.of(in))) {
            if (op.startsWith("adaptive")) {
                if (op.startsWith("adaptivemax")) {
                    b.pooling().adaptiveMaxForward(x, y);
                    b.pooling().adaptiveMaxBackward(x, y, dy, dx);
                } else {
                    b.pooling().adaptiveAvgForward(x, y);
                    b.pooling().adaptiveAvgBackward(dy, dx);
                }
            } else {
                PoolGeometry g = LayerFixtures.poolGeometry(f);
                if (op.startsWith("max")) {
                    b.pooling().maxForward(g, x, y);
                    b.pooling().maxBackward(g, x, y, dy, dx);
                } else {
                    b.pooling().avgForward(g, x, y);
                    b.pooling().avgBackward(g, dy, dx);
                }
            }
            close("output", y, f.floats("output"));
            close("grad_input", dx, f.floats("grad_input"));
        }
    }

    private static void batchNorm(LayerFixtures.Fixture f) {
        boolean training = Boolean.parseBoolean(f.meta("training"));
        boolean affine = Boolean.parseBoolean(f.meta("affine"));
        double eps = Double.parseDouble(f.meta("eps"));
        double momentum = Double.parseDouble(f.meta("momentum"));
        int c = f.input()[1];
        Shape ps = Shape.of(c);
        try (Tensor x = up(f, "input"); Tensor dy = up(f, "grad_output");
             Tensor w = affine ? up(f, "weight") : null; Tensor bias = affine ? up(f, "bias") : null;
             Tensor rm = up(f, "running_mean"); Tensor rv = up(f, "running_var");
             Tensor y = b.allocate(x.shape()); Tensor dx = b.allocate(x.shape());
             Tensor dw = affine ? b.allocate(ps) : null; Tensor db = affine ? b.allocate(ps) : null;
             Tensor sm = b.allocate(ps); Tensor si = b.allocate(ps)) {
            if (training) {
                b.normalization().batchNormTraining(x, w, bias, eps, momentum, rm, rv, y, sm, si);
                b.normalization().batchNormTrainingBackward(x, dy, w, sm, si, dx, dw, db);
                close("running_mean after", rm, f.floats("after.running_mean"));
                close("running_var after", rv, f.floats("after.running_var"));
            } else {
                b.normalization().batchNormInference(x, rm, rv, w, bias, eps, y);
                b.normalization().batchNormInferenceBackward(x, dy, rm, rv, w, eps, dx, dw, db);
            }
            close("output", y, f.floats("output"));
            close("grad_input", dx, f.floats("grad_input"));
            if (affine) {
                close("grad.weight", dw, f.floats("grad.weight"));
                close("grad.bias", db, f.floats("grad.bias"));
            }
        }
    }

    private static void linear(LayerFixtures.Fixture f, boolean onCudnn) {
        int[] in = f.input();
        int k = in[in.length - 1];
        int m = f.shapes().get("input").length == 1 ? 1 : (int) (java.util.Arrays.stream(in).asLongStream()
                .reduce(1, (p, q) -> p * q) / k);
        int n = f.shapes().get("weight")[0];
        boolean hasBias = f.shapes().containsKey("bias");
        CudaBlasOps blas = (CudaBlasOps) b.blas();
        try (Tensor x = up(f, "input", m, k); Tensor w = up(f, "weight"); Tensor dy = up(f, "grad_output", m, n);
             Tensor y = b.allocate(Shape.of(m, n)); Tensor dx = b.allocate(Shape.of(m, k));
             Tensor dw = b.allocate(Shape.of(n, k))) {
            String path = onCudnn ? " (cuDNN 1x1 convolution)" : " (" + (b.cublas() != null ? "cuBLAS" : "cuDNN") + ")";
            if (onCudnn) {
                blas.gemmOnCudnn(false, true, m, n, k, b.pointer(x), b.pointer(w), b.pointer(y), false);
                blas.gemmOnCudnn(false, false, m, k, n, b.pointer(dy), b.pointer(w), b.pointer(dx), false);
                blas.gemmOnCudnn(true, false, n, k, m, b.pointer(dy), b.pointer(x), b.pointer(dw), false);
                // accumulate: dw += dy^T x once more, so dw = 2 * grad.weight
                blas.gemmOnCudnn(true, false, n, k, m, b.pointer(dy), b.pointer(x), b.pointer(dw), true);
            } else {
                b.blas().gemm(false, true, m, n, k, x, w, y, false);
                b.blas().gemm(false, false, m, k, n, dy, w, dx, false);
                b.blas().gemm(true, false, n, k, m, dy, x, dw, false);
                b.blas().gemm(true, false, n, k, m, dy, x, dw, true);
            }
            if (hasBias) {
                try (Tensor bias = up(f, "bias"); Tensor db = b.allocate(Shape.of(n))) {
                    b.convolution().biasAdd(y, bias);
                    b.convolution().biasGradient(dy, db);
                    close("grad.bias" + path, db, f.floats("grad.bias"));
                }
            }
            close("output" + path, y, f.floats("output"));
            close("grad_input" + path, dx, f.floats("grad_input"));
            float[] twice = f.floats("grad.weight");
            for (int i = 0; i < twice.length; i++) {
                twice[i] *= 2;
            }
            close("grad.weight accumulated twice" + path, dw, twice);
        }
    }

    private static void embedding(LayerFixtures.Fixture f) {
        long[] idx = f.longs("input");
        int[] ws = f.shapes().get("weight");
        String pad = f.meta("padding_idx").trim();
        long skip = pad.equals("null") ? -1 : Long.parseLong(pad);
        try (Tensor i = b.upload(idx, Shape.of(f.input())); Tensor table = up(f, "weight");
             Tensor out = b.allocate(Shape.of(f.output())); Tensor dOut = up(f, "grad_output");
             Tensor dTable = b.upload(new float[ws[0] * ws[1]], Shape.of(ws))) {
            assertArrayEquals(idx, b.downloadLongs(i), "INT64 round trip");
            b.layout().gatherRows(i, table, out);
            b.layout().scatterAddRows(i, dOut, dTable, skip);
            close("output", out, f.floats("output"));
            close("grad.weight", dTable, f.floats("grad.weight"));
        }
    }

    private static void activation(LayerFixtures.Fixture f) {
        String op = f.op();
        try (Tensor x = up(f, "input"); Tensor dy = up(f, "grad_output"); Tensor y = b.allocate(x.shape());
             Tensor dx = b.allocate(x.shape())) {
            switch (op) {
                case "sigmoid" -> {
                    b.activation().sigmoid(x, y);
                    b.activation().sigmoidBackward(y, dy, dx);
                }
                case "tanh" -> {
                    b.activation().tanh(x, y);
                    b.activation().tanhBackward(y, dy, dx);
                }
                case "leakyrelu" -> {
                    double slope = Double.parseDouble(f.meta("negative_slope"));
                    b.activation().leakyRelu(slope, x, y);
                    b.activation().leakyReluBackward(slope, x, dy, dx);
                }
                default -> {
                    int[] in = f.input();
                    int dim = Integer.parseInt(f.meta("dim").trim());
                    dim = dim < 0 ? dim + in.length : dim;
                    int outer = 1;
                    int inner = 1;
                    for (int i = 0; i < dim; i++) {
                        outer *= in[i];
                    }
                    for (int i = dim + 1; i < in.length; i++) {
                        inner *= in[i];
                    }
                    boolean log = op.equals("logsoftmax");
                    b.activation().softmax(log, outer, in[dim], inner, x, y);
                    b.activation().softmaxBackward(log, outer, in[dim], inner, y, dy, dx);
                }
            }
            close("output", y, f.floats("output"));
            close("grad_input", dx, f.floats("grad_input"));
        }
    }

    @Test
    void int64TensorsRoundTripAndCopy() {
        long[] v = {Long.MIN_VALUE, -1, 0, 1, 1L << 40, Long.MAX_VALUE};
        try (Tensor a = b.upload(v, Shape.of(2, 3)); Tensor c = b.allocate(Shape.of(6), DType.INT64);
             Tensor z = b.allocate(Shape.of(3), DType.INT64)) {
            b.elementwise().copy(a, c);
            assertArrayEquals(v, b.downloadLongs(c));
            assertArrayEquals(new long[3], b.downloadLongs(z));
        }
    }

    @Test
    void permutationsAndElementwiseOpsMatchTheHost() {
        SplittableRandom rng = new SplittableRandom(11);
        int[][][] cases = {{{2, 3, 4, 5}, {0, 2, 3, 1}}, {{6, 7}, {1, 0}}, {{2, 3, 4, 5, 6}, {4, 0, 2, 1, 3}},
                {{2, 3, 2, 3, 2, 3, 2, 3}, {7, 6, 5, 4, 3, 2, 1, 0}}, {{3, 1, 4}, {1, 2, 0}}};
        for (int[][] c : cases) {
            Shape s = Shape.of(c[0]);
            float[] x = TestData.randomFloats(rng, s.size());
            int[] yd = new int[c[0].length];
            for (int i = 0; i < yd.length; i++) {
                yd[i] = c[0][c[1][i]];
            }
            CudaLayoutOps.PermutePlan p = CudaLayoutOps.planPermute(c[0], c[1]);
            float[] expected = new float[x.length];
            int[] d = p.src().dims();
            int[] st = p.src().strides();
            int[] dt = p.dst().strides();
            int[] idx = new int[d.length];
            for (int e = 0; e < x.length; e++) {
                int src = 0;
                int dst = 0;
                for (int i = 0; i < d.length; i++) {
                    src += idx[i] * st[i];
                    dst += idx[i] * dt[i];
                }
                expected[dst] = x[src];
                for (int i = d.length - 1; i >= 0 && ++idx[i] == d[i]; i--) {
                    idx[i] = 0;
                }
            }
            try (Tensor tx = b.upload(x, s); Tensor ty = b.allocate(Shape.of(yd))) {
                b.layout().permute(tx, c[1], ty);
                assertArrayEquals(expected, b.download(ty), java.util.Arrays.toString(c[1]));
            }
        }
        float[] a = TestData.randomFloats(rng, 100);
        float[] q = TestData.randomFloats(rng, 100);
        float[] sum = new float[100];
        float[] prod = new float[100];
        for (int i = 0; i < 100; i++) {
            sum[i] = a[i] + q[i];
            prod[i] = a[i] * q[i];
        }
        try (Tensor ta = b.upload(a, Shape.of(10, 10)); Tensor tq = b.upload(q, Shape.of(100));
             Tensor o = b.allocate(Shape.of(4, 25))) {
            b.elementwise().add(ta, tq, o);
            assertArrayEquals(sum, b.download(o));
            b.elementwise().multiply(ta, tq, o);
            assertArrayEquals(prod, b.download(o));
            b.elementwise().copy(ta, o);
            b.elementwise().accumulate(o, tq);
            assertArrayEquals(sum, b.download(o));
        }
    }
}
