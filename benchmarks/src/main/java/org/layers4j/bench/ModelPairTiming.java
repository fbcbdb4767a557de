package org.layers4j.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.Models;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * Two model files of one model (a layers4j graph file and an ONNX export, say) timed against each other in
 * one JVM: eval forward on the same input, pairs alternating A/B then B/A after a common warm-up, so a noisy
 * host hits both alike. Prints every pair, each side's median and minimum, the median of the per-pair ratios
 * B / A, and the largest difference between the two outputs. Usage:
 * {@code ModelPairTiming A B N,C,H,W PAIRS}.
 */
public final class ModelPairTiming {
    private ModelPairTiming() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ModelPairTiming A B N,C,H,W PAIRS");
            System.exit(2);
        }
        int[] dims = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        int pairs = Integer.parseInt(args[3]);
        Backend be = Backends.get("cpu");
        try (Module a = Models.load(Path.of(args[0]), be); Module b = Models.load(Path.of(args[1]), be)) {
            try (Tensor x = gaussian(be, Shape.of(dims))) {
                double[] d = difference(a, b, x);
                System.out.printf("outputs: max |A - B| = %.3g (max |A| %.3g)%n", d[0], d[1]);
                Pairs t = alternate(() -> time(a, x), () -> time(b, x), pairs);
                double[] ta = t.a();
                double[] tb = t.b();
                for (int i = 0; i < pairs; i++) {
                    System.out.printf("pair %2d  A %8.3f ms  B %8.3f ms%n", i, ta[i], tb[i]);
                }
                System.out.printf("input %s, %d pairs: A %s median %.3f ms (min %.3f), B %s median %.3f ms (min %.3f),"
                        + " median of per-pair ratios B/A %.4f%n", Arrays.toString(dims), pairs,
                        Path.of(args[0]).getFileName(), median(ta), min(ta), Path.of(args[1]).getFileName(), median(tb),
                        min(tb), median(t.ratio()));
            }
        }
    }

    /** Per-pair milliseconds of two sides, alternating A/B then B/A. */
    record Pairs(double[] a, double[] b) {
        /** B / A per pair. */
        double[] ratio() {
            double[] r = new double[a.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = b[i] / a[i];
            }
            return r;
        }
    }

    /**
     * Five untimed runs of each side, then {@code pairs} pairs, A first in even pairs and B first in odd ones, so a
     * noisy host hits both sides alike.
     */
    static Pairs alternate(java.util.function.DoubleSupplier a, java.util.function.DoubleSupplier b, int pairs) {
        for (int i = 0; i < 5; i++) {
            a.getAsDouble();
            b.getAsDouble();
        }
        double[] ta = new double[pairs];
        double[] tb = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            if (i % 2 == 0) {
                ta[i] = a.getAsDouble();
                tb[i] = b.getAsDouble();
            } else {
                tb[i] = b.getAsDouble();
                ta[i] = a.getAsDouble();
            }
        }
        return new Pairs(ta, tb);
    }

    /** A standard-normal input of {@code shape} (seed 1, the same for every benchmark here). */
    static Tensor gaussian(Backend be, Shape shape) {
        float[] data = new float[(int) Shape.elementCount(shape.dims())];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return be.upload(data, shape);
    }

    /** {max |a(x) - b(x)|, max |a(x)|} of the two models' outputs. */
    static double[] difference(Module a, Module b, Tensor x) {
        try (Tensor ya = a.forward(x); Tensor yb = b.forward(x)) {
            float[] p = ya.toArray();
            float[] q = yb.toArray();
            double diff = 0;
            double max = 0;
            for (int i = 0; i < p.length; i++) {
                diff = Math.max(diff, Math.abs((double) p[i] - q[i]));
                max = Math.max(max, Math.abs(p[i]));
            }
            return new double[] {diff, max};
        }
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    /** Milliseconds of one eval forward (the backend synchronized). */
    static double time(Module m, Tensor x) {
        long t0 = System.nanoTime();
        try (Tensor y = m.forward(x)) {
            m.backend().synchronize();
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
