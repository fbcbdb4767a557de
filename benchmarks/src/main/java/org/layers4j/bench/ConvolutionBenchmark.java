package org.layers4j.bench;

import java.io.File;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.conformance.BenchmarkCase;
import org.layers4j.cpu.CpuBackend;
import org.layers4j.spi.ConvGeometry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The suite's convolutions, one JMH benchmark per pass, on the CPU backend with {@code threads} threads.
 * The suite file is read from the system property {@code layers4j.suite} (default ../shared/bench/suite.json
 * relative to the working directory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvolutionBenchmark {
    @Param({"resnet3x3", "resnet1x1", "stem7x7s2", "depthwise3x3", "grouped3x3", "conv1d_k9"})
    public String name;

    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private ConvGeometry g;
    private Tensor x;
    private Tensor w;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;
    private Tensor dw;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        String suite = System.getProperty("layers4j.suite", "../shared/bench/suite.json");
        for (BenchmarkCase c : BenchmarkCase.parse(java.nio.file.Files.readString(new File(suite).toPath()))) {
            if (c.name().equals(name)) {
                g = c.geometry();
            }
        }
        if (g == null) {
            throw new IllegalArgumentException("no case " + name + " in " + suite);
        }
        backend = new CpuBackend(Config.load().with(Config.CPU_THREADS, Integer.toString(threads)));
        Random r = new Random(1);
        Shape xs = Shape.of(g.n(), g.c(), g.h(), g.w());
        Shape ws = Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw());
        Shape ys = Shape.of(g.n(), g.k(), g.outH(), g.outW());
        x = backend.upload(random(r, xs.size()), xs);
        w = backend.upload(random(r, ws.size()), ws);
        dy = backend.upload(random(r, ys.size()), ys);
        y = backend.allocate(ys);
        dx = backend.allocate(xs);
        dw = backend.allocate(ws);
    }

    private static float[] random(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
    }

    @Benchmark
    public Tensor forward() {
        backend.convolution().forward(g, x, w, y);
        return y;
    }

    @Benchmark
    public Tensor backwardData() {
        backend.convolution().backwardData(g, dy, w, dx);
        return dx;
    }

    @Benchmark
    public Tensor backwardFilter() {
        backend.convolution().backwardFilter(g, x, dy, dw);
        return dw;
    }
}
