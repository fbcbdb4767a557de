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
}
