package org.layers4j.cli;

import java.util.Arrays;
import java.util.SplittableRandom;

/** What every {@code bench} timing shares: warm-up, timed runs, their median; random inputs. */
final class Timing {
    private Timing() {
    }

    /**
     * Runs {@code once} at least {@code warmup} times and for at least {@code warmupSeconds} (the JIT
     * compiles the kernels meanwhile), then {@code reps} timed times; the median in milliseconds.
     * {@code once} must include any synchronization an asynchronous backend needs.
     */
    static double medianMs(int warmup, double warmupSeconds, int reps, Runnable once) {
        return medianMs(warmup, warmupSeconds, reps, () -> { }, once);
    }

    /** As {@link #medianMs(int, double, int, Runnable)}, running {@code beforeTimed} between warm-up and the timed runs. */
    static double medianMs(int warmup, double warmupSeconds, int reps, Runnable beforeTimed, Runnable once) {
        return median(timesMs(warmup, warmupSeconds, reps, beforeTimed, once));
    }

    /**
     * As {@link #medianMs(int, double, int, Runnable, Runnable)}, but every timed run's milliseconds, in the order
     * they ran.
     */
    static double[] timesMs(int warmup, double warmupSeconds, int reps, Runnable beforeTimed, Runnable once) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < warmEnd; i++) {
            once.run();
        }
        beforeTimed.run();
        double[] times = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            once.run();
            times[i] = (System.nanoTime() - t0) / 1e6;
        }
        return times;
    }

    /** The median of {@code v} (not empty); the mean of the middle two for an even count. */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** n values uniform in [-1, 1). */
    static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return v;
    }
}
