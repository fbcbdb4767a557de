package org.layers4j.cpu;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One core's throughput of the GEMM micro-tile over L1/L2-resident packed panels: the ceiling every
 * GEMM-based convolution path is measured against. GFLOP/s = 2 * mr * nr * kc * panels / time.
 * Lives in the backend's package to reach the package-private kernels.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MicroKernelBenchmark {
    /** Micro-panels of B swept per A panel, as in one row block of a column tile. */
    private static final int PANELS = 16;

    @Param({"vector", "scalar"})
    public String kernels;

    @Param({"256"})
    public int kc;

    private Kernels kn;
    private float[] a;
    private float[] b;
    private float[] c;

    @Setup
    public void setup() {
        kn = Kernels.select(kernels);
        Random r = new Random(1);
        a = new float[kn.mr() * kc];
        b = new float[PANELS * kn.nr() * kc];
        c = new float[kn.mr() * kn.nr() * PANELS];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextFloat();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextFloat();
        }
    }

    /** PANELS micro-tiles; divide 2*mr*nr*kc*PANELS by the time for GFLOP/s. */
    @Benchmark
    public float[] tiles() {
        int nr = kn.nr();
        for (int p = 0; p < PANELS; p++) {
            kn.tile(kc, a, 0, b, p * kc * nr, c, p * nr, nr * PANELS, false);
        }
        return c;
    }
}
