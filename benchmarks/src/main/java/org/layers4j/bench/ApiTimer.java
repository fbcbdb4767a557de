package org.layers4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Random;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Conv1d;
import org.layers4j.nn.Conv2d;
import org.layers4j.nn.ConvBuilder;
import org.layers4j.nn.Convolution;
import org.layers4j.nn.Gradients;
import org.layers4j.spi.Backend;

/**
 * Times one suite case through the public layer API ({@code Conv1d}/{@code Conv2d} forward or backward),
 * allocating and closing the result every call as an application does: what the SPI-level numbers of
 * {@link SuiteRunner} cost once allocation and the layer's bookkeeping are added.
 */
final class ApiTimer {
    private ApiTimer() {
    }

    /** Median milliseconds of one forward (or backward) call, after at least the given warm-up. */
    static double time(Backend be, JsonNode c, boolean backward, int minWarmup, double warmupSeconds, int reps) {
        int[] size = ints(c.path("size"));
        int[] kernel = ints(c.path("kernel"));
        int cin = c.path("cin").asInt();
        int cout = c.path("cout").asInt();
        ConvBuilder<? extends Convolution> b = c.path("op").asText().equals("conv1d")
                ? Conv1d.builder(cin, cout, kernel) : Conv2d.builder(cin, cout, kernel);
        b.stride(ints(c.path("stride"))).padding(ints(c.path("padding"))).dilation(ints(c.path("dilation")))
                .groups(c.path("groups").asInt()).backend(be).seed(1);
        int[] in = new int[2 + size.length];
        in[0] = c.path("n").asInt();
        in[1] = cin;
        System.arraycopy(size, 0, in, 2, size.length);
        Random r = new Random(1);
        try (Convolution conv = b.build(); Tensor x = be.upload(random(r, Shape.of(in).size()), Shape.of(in))) {
            Shape out;
            try (Tensor y = conv.forward(x)) {
                out = y.shape();
            }
            try (Tensor dy = be.upload(random(r, out.size()), out)) {
                int warm = 0;
                long start = System.nanoTime();
                while (warm < minWarmup || System.nanoTime() - start < warmupSeconds * 1e9) {
                    once(conv, x, dy, backward);
                    warm++;
                }
                double[] t = new double[reps];
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    once(conv, x, dy, backward);
                    t[i] = (System.nanoTime() - t0) / 1e6;
                }
                return SuiteRunner.median(t);
            }
        }
    }

    private static void once(Convolution conv, Tensor x, Tensor dy, boolean backward) {
        if (backward) {
            try (Gradients g = conv.backward(x, dy)) {
                conv.backend().synchronize();
            }
        } else {
            try (Tensor y = conv.forward(x)) {
                conv.backend().synchronize();
            }
        }
    }

    private static float[] random(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }
}
