package org.layers4j.cpu;

import org.layers4j.cli.FmaPeak;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One core's measured FMA peak and the fraction of it the backend's kernels reach, in one plain JVM run
 * (no JMH fork, so {@code JDK_JAVA_OPTIONS=-XX:UseAVX=2} and {@code -Dlayers4j.cpu.tile=...} apply as given):
 * <ul>
 * <li>peak: loops of 14 independent {@code fma} accumulators ({@code r += a*b} and {@code r = r*a + b}) on the
 * preferred species and nothing else, the better of the two (14 + 2 fit 16 registers and cover latency x
 * throughput of current x86 cores; the 8- and 12-accumulator loops it had before were never 0.2 % faster);</li>
 * <li>tile: the GEMM micro-tile over L1/L2-resident packed panels, kc = 256, 16 B panels per A panel
 * (as {@code MicroKernelBenchmark});</li>
 * <li>tileRows: the same reading B rows in place through a row-offset table (the indirect convolution);</li>
 * <li>dotTile: the weight-gradient 4 x 4 dot block ({@code dotTileLanes}) over rows of 3136 floats (a 56 x 56 plane).</li>
 * </ul>
 * Each is timed for {@code rounds} rounds of about 0.5 s after 2 s of warm-up; best, median and worst round
 * are printed, and the fractions use the best rounds (on a shared machine, the uninterrupted speed).
 * Usage: {@code java --add-modules jdk.incubator.vector -cp ... org.layers4j.cpu.FmaPeakProbe [rounds]}.
 *
 * <p>{@code FmaPeakProbe --quiet-check THREADS [REPS]} is {@code benchmarks/protocol.py}'s machine-speed check
 * instead: the same fixed work every time ({@link #QUIET_CALLS} calls of a 14-accumulator fma loop on 256-bit
 * vectors — whatever the JVM's preferred width — on each of THREADS threads at once), after a fixed untimed
 * warm-up, timed REPS times (default 7); prints one JSON line with every repetition's wall milliseconds.
 */
public final class FmaPeakProbe {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    private FmaPeakProbe() {
    }

    interface Work {
        /** Runs once and returns the floating-point operations it did. */
        double run();
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("--quiet-check")) {
            quietCheck(args.length > 1 ? Integer.parseInt(args[1]) : 1, args.length > 2 ? Integer.parseInt(args[2]) : 7);
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Kernels kn = Kernels.select("vector");
        System.out.println("kernels: " + kn.description());
        double peak = 0;
        peak = Math.max(peak, measure("fma r += a*b, 14 acc", FmaPeakProbe::fmaLoop14, rounds));
        peak = Math.max(peak, measure("fma r = r*a + b, 14 acc", FmaPeakProbe::fmaChain14, rounds));
        System.out.printf("FMA peak of one core (best round of the two loops): %.1f GFLOP/s%n", peak);
        int mr = kn.mr();
        int nr = kn.nr();
        int kc = 256;
        int panels = 16;
        Random r = new Random(1);
        float[] a = random(r, mr * kc);
        float[] b = random(r, panels * nr * kc);
        float[] c = new float[mr * nr * panels];
        double tile = measure("tile " + mr + "x" + nr + " kc=256", () -> {
            for (int p = 0; p < panels; p++) {
                kn.tile(kc, a, 0, b, p * kc * nr, c, p * nr, nr * panels, false);
            }
            return 2.0 * mr * nr * kc * panels;
        }, rounds);
        // B rows in place: 576 taps (64 channels x 3 x 3) over a band of 16 rows of 58, like resnet3x3
        int taps = 576;
        int plane = 16 * 58;
        float[] x = random(r, 64 * plane + 3 * 58 + 2 + nr);
        int[] rowOff = new int[taps];
        for (int t = 0; t < taps; t++) {
            rowOff[t] = (t / 9) * plane + (t % 9 / 3) * 58 + t % 3;
        }
        float[] a2 = random(r, mr * taps);
        float[] c2 = new float[mr * nr];
        double rows = measure("tileRows " + mr + "x" + nr + " kd=576", () -> {
            for (int q = 0; q + nr <= 14 * 58; q += nr) {
                kn.tileRows(taps, a2, 0, x, rowOff, 0, q, c2, 0, nr, false);
            }
            return 2.0 * mr * nr * taps * ((14 * 58) / nr);
        }, rounds);
        int len = 3136;
        float[] da = random(r, 4 * len);
        float[] db = random(r, 4 * len + 64);
        int[] dOff = {0, len + 1, 2 * len + 2, 3 * len + 3};
        float[] dout = new float[16 * kn.dotBlockLength()];
        double dot = measure("dotTile 4x4 len=3136", () -> {
            for (int i = 0; i < 4; i++) {
                kn.dotTileLanes(len, da, 0, len, db, dOff, 0, dout, 0);
            }
            return 2.0 * 16 * len * 4;
        }, rounds);
        System.out.printf("fraction of the FMA peak (best rounds): tile %.0f %%, tileRows %.0f %%, dotTile %.0f %%%n",
                100 * tile / peak, 100 * rows / peak, 100 * dot / peak);
        sink += c[0] + c2[0] + dout[0];
    }

    /** Calls of {@link #fma256x14} per thread in one quiet-check repetition (and in its warm-up). */
    static final int QUIET_CALLS = 2000;

    private static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;

    /** The quiet check: fixed work on {@code threads} threads at once, {@code reps} timed repetitions; JSON to stdout. */
    static void quietCheck(int threads, int reps) {
        if (threads < 1 || reps < 1) {
            throw new IllegalArgumentException("--quiet-check THREADS REPS: both must be >= 1");
        }
        runQuiet(threads);
        double[] ms = new double[reps];
        for (int r = 0; r < reps; r++) {
            ms[r] = runQuiet(threads);
        }
        double[] sorted = ms.clone();
        java.util.Arrays.sort(sorted);
        double median = reps % 2 == 1 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
        StringBuilder list = new StringBuilder();
        for (double m : ms) {
            list.append(list.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.3f", m));
        }
        double gflop = QUIET_CALLS * 2.0 * 14 * S256.length() * 20_000 / 1e9;
        System.out.printf(java.util.Locale.ROOT, "{\"work\": \"fma 256-bit x 14 accumulators, %d calls of 20000"
                + " iterations per thread\", \"threads\": %d, \"gflop_per_thread\": %.4f, \"ms\": [%s],"
                + " \"median_ms\": %.3f, \"min_ms\": %.3f}%n", QUIET_CALLS, threads, gflop, list, median, sorted[0]);
        System.out.flush();
    }

    /** One repetition: every thread does {@link #QUIET_CALLS} calls; the wall milliseconds until all are done. */
    private static double runQuiet(int threads) {
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                float acc = 0;
                for (int c = 0; c < QUIET_CALLS; c++) {
                    acc += fma256x14();
                }
                sink += acc;
            });
            ts[i].start();
        }
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** fmaLoop14 on 256-bit vectors whatever the preferred width: the quiet check's fixed unit of work. */
    private static float fma256x14() {
        return FmaPeak.chains14Of256(20_000);
    }

    private static double fmaLoop14() {
        sink += FmaPeak.chains14(20_000);
        return 2.0 * 14 * S.length() * 20_000;
    }

    private static double fmaChain14() {
        FloatVector m = FloatVector.broadcast(S, 0.999999f);
        FloatVector d = FloatVector.broadcast(S, 1e-7f);
        FloatVector s0 = FloatVector.broadcast(S, 1f);
        FloatVector s1 = s0.add(d);
        FloatVector s2 = s1.add(d);
        FloatVector s3 = s2.add(d);
        FloatVector s4 = s3.add(d);
        FloatVector s5 = s4.add(d);
        FloatVector s6 = s5.add(d);
        FloatVector s7 = s6.add(d);
        FloatVector s8 = s7.add(d);
        FloatVector s9 = s8.add(d);
        FloatVector s10 = s9.add(d);
        FloatVector s11 = s10.add(d);
        FloatVector s12 = s11.add(d);
        FloatVector s13 = s12.add(d);
        int iters = 20_000;
        for (int i = 0; i < iters; i++) {
            s0 = s0.fma(m, d);
            s1 = s1.fma(m, d);
            s2 = s2.fma(m, d);
            s3 = s3.fma(m, d);
            s4 = s4.fma(m, d);
            s5 = s5.fma(m, d);
            s6 = s6.fma(m, d);
            s7 = s7.fma(m, d);
            s8 = s8.fma(m, d);
            s9 = s9.fma(m, d);
            s10 = s10.fma(m, d);
            s11 = s11.fma(m, d);
            s12 = s12.fma(m, d);
            s13 = s13.fma(m, d);
        }
        FloatVector t = s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).add(s8).add(s9).add(s10).add(s11).add(s12).add(s13);
        sink += t.lane(0);
        return 2.0 * 14 * S.length() * iters;
    }

    private static double measure(String name, Work w, int rounds) {
        long end = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < end) {
            w.run();
        }
        List<Double> g = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            double flops = 0;
            long t0 = System.nanoTime();
            long stop = t0 + 500_000_000L;
            long t;
            do {
                flops += w.run();
                t = System.nanoTime();
            } while (t < stop);
            g.add(flops / (t - t0));
        }
        double[] v = g.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf("%-28s best %7.1f GFLOP/s, median %.1f, min %.1f (%d rounds)%n", name, v[v.length - 1],
                v[v.length / 2], v[0], rounds);
        // on a shared machine a round can lose its core for a while; the best round is the uninterrupted speed
        return v[v.length - 1];
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() - 0.5f;
        }
        return a;
    }
}
