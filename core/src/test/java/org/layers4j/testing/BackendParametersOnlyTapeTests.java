package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.models.ResNet;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.spi.Backend;

/**
 * {@link Tape#parametersOnly}: the parameters' gradients of {@link Tape#start}, bit for bit, without the input's
 * gradient — which a first convolution then does not compute at all.
 */
public abstract class BackendParametersOnlyTapeTests {
    protected abstract Backend backend();

    private Tensor random(Shape s, long seed) {
        return backend().upload(TestData.randomFloats(new SplittableRandom(seed), s.size()), s);
    }

    /** Every parameter's accumulated gradient after one backward of sum(y * dy) on a tape of the given kind. */
    private static Map<String, float[]> gradients(Module m, Tensor x, Tensor dy, boolean parametersOnly) {
        m.zeroGrad();
        try (Tape tape = parametersOnly ? Tape.parametersOnly() : Tape.start(); Tensor y = m.forward(x);
             Gradients g = tape.backward(y, dy)) {
            if (parametersOnly) {
                assertNull(g.of(x), "no gradient of the input");
            } else {
                assertNotNull(g.of(x), "the input's gradient");
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameterObjects().forEach((k, p) -> out.put(k, p.grad().toArray()));
        return out;
    }

    @Test
    void aResNetsParameterGradientsAreStartsBitForBit() {
        try (ResNet net = ResNet.resnet18(5, backend()); Tensor x = random(Shape.of(2, 3, 32, 32), 1);
             Tensor dy = random(Shape.of(2, 5), 2)) {
            net.train();
            Map<String, float[]> all = gradients(net, x, dy, false);
            Map<String, float[]> only = gradients(net, x, dy, true);
            assertTrue(all.size() > 50, "parameters: " + all.size());
            all.forEach((k, v) -> assertArrayEquals(v, only.get(k), k));
        }
    }

    /** The first convolution's input gradient is not computed: the backward's peak memory is lower by about it. */
    @Test
    void aFirstConvolutionSkipsItsInputGradient() {
        org.junit.jupiter.api.Assumptions.assumeTrue(backend().memory().tracked(), "the backend tracks its memory");
        Shape in = Shape.of(4, 8, 64, 64);
        try (Conv2d conv = Conv2d.builder(8, 4, 3).padding(1).backend(backend()).build();
             Tensor x = random(in, 3); Tensor dy = random(Shape.of(4, 4, 64, 64), 4)) {
            long[] peaks = new long[2];
            for (int i = 0; i < 2; i++) {
                boolean parametersOnly = i == 1;
                conv.zeroGrad();
                try (Tape tape = parametersOnly ? Tape.parametersOnly() : Tape.start(); Tensor y = conv.forward(x)) {
                    backend().memory().resetPeak();
                    long before = backend().memory().liveBytes();
                    tape.backward(y, dy).close();
                    peaks[i] = backend().memory().peakBytes() - before;
                }
            }
            Parameter w = conv.namedParameterObjects().get("weight");
            assertNotNull(w.grad());
            assertTrue(peaks[0] - peaks[1] >= 4L * in.size(), "backward's extra memory: " + peaks[0] + " with the"
                    + " input's gradient, " + peaks[1] + " without; the input is " + 4L * in.size() + " bytes");
        }
    }
}
