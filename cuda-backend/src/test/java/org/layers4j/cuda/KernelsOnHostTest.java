package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.spi.PoolGeometry;
import org.layers4j.testing.TestData;

/**
 * The backend's own kernels (kernels.cu) compiled as host C++ ({@code src/test/cuda/kernels_host.cpp}
 * runs every grid-stride loop as one thread) and checked against the PyTorch references of every
 * pooling, adaptive pooling, leaky ReLU and Embedding fixture of fixtures/layers — output and gradient.
 * This checks the kernels' arithmetic and PyTorch rules without a GPU; the launch itself (PTX load,
 * parameters) is only exercised on a GPU. Skipped (visibly) where no C++ compiler is installed.
 */
class KernelsOnHostTest {
    private static Path exe;

    @BeforeAll
    static void compile() throws Exception {
        assumeTrue(Files.isRegularFile(Path.of("src/test/cuda/kernels_host.cpp")),
                "the host harness source is not here (run from cuda-backend/, e.g. by Maven; the GPU bundle has no sources)");
        String cxx = System.getenv().getOrDefault("CXX", "g++");
        Path out = Path.of("target/kernels-host/kernels_host");
        Files.createDirectories(out.getParent());
        Process p;
        try {
            p = new ProcessBuilder(cxx, "-O1", "-o", out.toString(), "src/test/cuda/kernels_host.cpp")
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no C++ compiler (" + cxx + ") to build the host harness of kernels.cu: " + e.getMessage());
            return;
        }
        String log = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor(120, TimeUnit.SECONDS), "the compiler did not finish");
        assertEquals(0, p.exitValue(), "compiling kernels_host.cpp failed:\n" + log);
        exe = out;
    }

    private static float[][] run(List<String> args, byte[] stdin, int firstCount) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (OutputStream o = p.getOutputStream()) {
            o.write(stdin);
        }
        byte[] out;
        try (InputStream i = p.getInputStream()) {
            out = i.readAllBytes();
        }
        assertEquals(0, p.waitFor(), "kernels_host " + args);
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        float[] first = new float[firstCount];
        b.asFloatBuffer().get(first);
        b.position(firstCount * 4);
        float[] second = new float[b.remaining() / 4];
        b.asFloatBuffer().get(second);
        return new float[][] {first, second};
    }

    private static byte[] bytes(Object... arrays) {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        for (Object a : arrays) {
            ByteBuffer b;
            if (a instanceof float[] f) {
                b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(f);
            } else {
                long[] l = (long[]) a;
                b = ByteBuffer.allocate(l.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                b.asLongBuffer().put(l);
            }
            s.writeBytes(b.array());
        }
        return s.toByteArray();
    }

    private static void close(String what, float[] got, float[] expected) {
        assertEquals(expected.length, got.length, what + " length");
        assertEquals(null, TestData.mismatch(got, TestData.toDouble(expected)), what);
    }

    private static List<String> strings(Object... v) {
        List<String> s = new ArrayList<>();
        for (Object o : v) {
            s.add(String.valueOf(o));
        }
        return s;
    }

    @TestFactory
    Stream<DynamicTest> kernelsMatchPyTorchOnTheLayerFixtures() {
        List<LayerFixtures.Fixture> fs = LayerFixtures.withOp("maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d",
                "adaptiveavgpool1d", "adaptiveavgpool2d", "adaptivemaxpool2d", "leakyrelu", "embedding");
        assertEquals(15, fs.size(), "the kernel-backed fixtures of fixtures/layers");
        return fs.stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> check(f)));
    }

    private static void check(LayerFixtures.Fixture f) throws Exception {
        String op = f.op();
        if (op.equals("embedding")) {
            long[] idx = f.longs("input");
            int[] w = f.shapes().get("weight");
            String pad = f.meta("padding_idx").trim();
            long skip = pad.equals("null") ? -1 : Long.parseLong(pad);
            float[][] r = run(strings("embedding", idx.length, w[1], w[0], skip),
                    bytes(idx, f.floats("weight"), f.floats("grad_output")), idx.length * w[1]);
            close("output", r[0], f.floats("output"));
            close("grad.weight", r[1], f.floats("grad.weight"));
            return;
        }
        float[] x = f.floats("input");
        float[] dy = f.floats("grad_output");
        float[][] r;
        if (op.equals("leakyrelu")) {
            long slope = Math.round(Double.parseDouble(f.meta("negative_slope")) * 1e6);
            r = run(strings("leaky_relu", x.length, slope), bytes(x, dy), x.length);
        } else if (op.startsWith("adaptive")) {
            int[] in = f.input();
            int[] out = f.output();
            boolean oneD = in.length == 3;
            int h = oneD ? 1 : in[2];
            int w = in[in.length - 1];
            int oh = oneD ? 1 : out[2];
            int ow = out[out.length - 1];
            r = run(strings(op.startsWith("adaptivemax") ? "adaptive_max" : "adaptive_avg", in[0] * in[1], h, w, oh, ow),
                    bytes(x, dy), dy.length);
        } else {
            PoolGeometry g = LayerFixtures.poolGeometry(f);
            r = run(strings(op.startsWith("max") ? "max_pool" : "avg_pool", g.n() * g.c(), g.h(), g.w(), g.kh(), g.kw(),
                    g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW(), g.outH(), g.outW(),
                    g.countIncludePad() ? 1 : 0, g.divisorOverride()), bytes(x, dy), dy.length);
        }
        close("output", r[0], f.floats("output"));
        close("grad_input", r[1], f.floats("grad_input"));
    }

    /**
     * sgd_step / adam_step against PyTorch 1.13's _single_tensor_sgd / _single_tensor_adam(w), written
     * here in float64 in PyTorch's operation order, on random parameters, gradients and state.
     */
    @TestFactory
    Stream<DynamicTest> optimizerKernelsFollowPyTorchsUpdates() {
        List<DynamicTest> tests = new ArrayList<>();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
        for (int c = 0; c < 40; c++) {
            int n = 1 + rng.nextInt(50);
            float[] p = random(rng, n);
            float[] g = random(rng, n);
            float[] buf = random(rng, n);
            boolean first = rng.nextBoolean();
            double lr = rng.nextDouble() * 0.1;
            double mom = rng.nextBoolean() ? 0 : rng.nextDouble();
            double damp = rng.nextBoolean() ? 0 : rng.nextDouble() * 0.5;
            double wd = rng.nextBoolean() ? 0 : rng.nextDouble() * 0.1;
            boolean nest = mom > 0 && damp == 0 && rng.nextBoolean();
            boolean max = rng.nextInt(4) == 0;
            String name = String.format("sgd n=%d first=%b lr=%.3f momentum=%.3f dampening=%.3f wd=%.3f nesterov=%b"
                    + " maximize=%b", n, first, lr, mom, damp, wd, nest, max);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                float[][] r = run(strings("sgd", n, first ? 1 : 0, lr, mom, damp, wd, nest ? 1 : 0, max ? 1 : 0),
                        bytes(p, g, buf), n);
                double[] ep = new double[n];
                double[] eb = new double[n];
                for (int i = 0; i < n; i++) {
                    double d = max ? -g[i] : g[i];
                    d = wd != 0 ? d + wd * p[i] : d;
                    double b = buf[i];
                    if (mom != 0) {
                        b = first ? d : b * mom + (1 - damp) * d;
                        d = nest ? d + mom * b : b;
                    }
                    ep[i] = p[i] - lr * d;
                    eb[i] = b;
                }
                assertEquals(null, TestData.mismatch(r[0], ep), "param");
                if (mom != 0) {
                    assertEquals(null, TestData.mismatch(r[1], eb), "momentum_buffer");
                }
            }));
        }
        for (int c = 0; c < 40; c++) {
            int n = 1 + rng.nextInt(50);
            float[] p = random(rng, n);
            float[] g = random(rng, n);
            float[] m = random(rng, n);
            float[] v = abs(random(rng, n));
            float[] vmax = abs(random(rng, n));
            long step = 1 + rng.nextInt(20);
            double lr = rng.nextDouble() * 0.05;
            double b1 = 0.5 + rng.nextDouble() * 0.49;
            double b2 = 0.9 + rng.nextDouble() * 0.099;
            double eps = rng.nextBoolean() ? 1e-8 : 1e-3;
            double wd = rng.nextBoolean() ? 0 : rng.nextDouble() * 0.1;
            boolean decoupled = rng.nextBoolean();
            boolean ams = rng.nextBoolean();
            boolean max = rng.nextInt(4) == 0;
            String name = String.format("%s n=%d step=%d lr=%.4f betas=(%.3f, %.4f) eps=%.0e wd=%.3f amsgrad=%b maximize=%b",
                    decoupled ? "adamw" : "adam", n, step, lr, b1, b2, eps, wd, ams, max);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                float[][] r = run(strings("adam", n, step, lr, b1, b2, eps, wd, decoupled ? 1 : 0, ams ? 1 : 0, max ? 1 : 0),
                        bytes(p, g, m, v, vmax), n);
                double[] ep = new double[n];
                double[] em = new double[n];
                double[] ev = new double[n];
                for (int i = 0; i < n; i++) {
                    double pi = decoupled ? p[i] * (1 - lr * wd) : p[i];
                    double gi = max ? -g[i] : g[i];
                    gi = !decoupled && wd != 0 ? gi + wd * pi : gi;
                    em[i] = m[i] * b1 + (1 - b1) * gi;
                    ev[i] = v[i] * b2 + (1 - b2) * gi * gi;
                    double vv = ams ? Math.max(vmax[i], ev[i]) : ev[i];
                    double denom = Math.sqrt(vv) / Math.sqrt(1 - Math.pow(b2, step)) + eps;
                    ep[i] = pi - lr / (1 - Math.pow(b1, step)) * em[i] / denom;
                }
                float[] rest = r[1];
                assertEquals(null, TestData.mismatch(r[0], ep), "param");
                assertEquals(null, TestData.mismatch(java.util.Arrays.copyOfRange(rest, 0, n), em), "exp_avg");
                assertEquals(null, TestData.mismatch(java.util.Arrays.copyOfRange(rest, n, 2 * n), ev), "exp_avg_sq");
            }));
        }
        return tests.stream();
    }

    private static float[] random(java.util.SplittableRandom rng, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return f;
    }

    private static float[] abs(float[] f) {
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.abs(f[i]);
        }
        return f;
    }
}
