package org.layers4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FMA peak for {@code bench --model}'s "fraction of the peak": FmaPeakProbe's loop (benchmarks/, 14
 * independent {@code fma} accumulators on the preferred species, nothing else) run on {@code threads} threads at
 * once, so that it is the peak of the threads the model runs on (two hyper-threads of one core share its FMA
 * units, and a core taken by another process shows too). Quick: about 0.3 s of warm-up, then the best of 3 rounds
 * of 0.15 s. Load it only when the {@code jdk.incubator.vector} module is present ({@link ModelBench#vectorApi()}).
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;
    private static final int ITERS = 20_000;
    private static volatile float sink;

    private FmaPeak() {
    }

    /** How the peak was measured, for the output. */
    static String description(int threads) {
        return "built-in probe: FmaPeakProbe's 14-accumulator FloatVector.fma loop, " + S.vectorBitSize()
                + "-bit vectors, on " + threads + " thread" + (threads == 1 ? "" : "s") + " at once, best of 3 rounds"
                + " of 0.15 s";
    }

    /** The measured peak in GFLOP/s of {@code threads} threads together. */
    static double measure(int threads) {
        loopSeconds(threads, 0.3);
        double best = 0;
        for (int r = 0; r < 3; r++) {
            best = Math.max(best, loopSeconds(threads, 0.15));
        }
        return best;
    }

    /** Runs the loop on {@code threads} threads for about {@code seconds}; the GFLOP/s of them all. */
    private static double loopSeconds(int threads, double seconds) {
        CyclicBarrier start = new CyclicBarrier(threads);
        double[] flops = new double[threads];
        long[] nanos = new long[threads];
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                long t0 = System.nanoTime();
                long stop = t0 + (long) (seconds * 1e9);
                long now;
                double f = 0;
                do {
                    f += loop();
                    now = System.nanoTime();
                } while (now < stop);
                flops[id] = f;
                nanos[id] = now - t0;
            }, "fma-peak-" + i);
            t.setDaemon(true);
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        double total = 0;
        for (int i = 0; i < threads; i++) {
            total += flops[i] / nanos[i];
        }
        return total;
    }

    /** One call of {@link #chains14} on the preferred species; returns the FLOPs done. */
    private static double loop() {
        sink += chains14(ITERS);
        return 2.0 * 14 * S.length() * ITERS;
    }

    /**
     * The probe's unit of work: 14 independent {@code r = a * b + r} chains of {@code iters} steps on vectors of the
     * preferred species (2 * 14 * lanes * iters FLOPs, nothing else); returns a lane of their sum, for a sink.
     * FmaPeakProbe (benchmarks/) runs the same loop. The species is a constant of each method, not a parameter: the
     * loop is compiled on its own (on-stack replacement) before any caller inlines it, and the Vector API only
     * compiles {@code fma} to the instruction for a constant species (a parameter ran its Java fallback, 30x slower).
     */
    public static float chains14(int iters) {
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
        for (int i = 0; i < iters; i++) {
            s0 = m.fma(d, s0);
            s1 = m.fma(d, s1);
            s2 = m.fma(d, s2);
            s3 = m.fma(d, s3);
            s4 = m.fma(d, s4);
            s5 = m.fma(d, s5);
            s6 = m.fma(d, s6);
            s7 = m.fma(d, s7);
            s8 = m.fma(d, s8);
            s9 = m.fma(d, s9);
            s10 = m.fma(d, s10);
            s11 = m.fma(d, s11);
            s12 = m.fma(d, s12);
            s13 = m.fma(d, s13);
        }
        return s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).add(s8).add(s9).add(s10).add(s11).add(s12)
                .add(s13).lane(0);
    }

    /** {@link #chains14} on 256-bit vectors whatever the preferred width (FmaPeakProbe's quiet check). */
    public static float chains14Of256(int iters) {
        FloatVector m = FloatVector.broadcast(S256, 0.999999f);
        FloatVector d = FloatVector.broadcast(S256, 1e-7f);
        FloatVector s0 = FloatVector.broadcast(S256, 1f);
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
        for (int i = 0; i < iters; i++) {
            s0 = m.fma(d, s0);
            s1 = m.fma(d, s1);
            s2 = m.fma(d, s2);
            s3 = m.fma(d, s3);
            s4 = m.fma(d, s4);
            s5 = m.fma(d, s5);
            s6 = m.fma(d, s6);
            s7 = m.fma(d, s7);
            s8 = m.fma(d, s8);
            s9 = m.fma(d, s9);
            s10 = m.fma(d, s10);
            s11 = m.fma(d, s11);
            s12 = m.fma(d, s12);
            s13 = m.fma(d, s13);
        }
        return s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).add(s8).add(s9).add(s10).add(s11).add(s12)
                .add(s13).lane(0);
    }
}
