package org.layers4j.graph.passes;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.graph.ops.FunctionalOp;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.graph.ops.Signature;
import org.layers4j.io.HostTensor;

/** Module specs, random state and an ONNX-like registry for the pass tests (no backend needed). */
final class PassFixtures {
    private PassFixtures() {
    }

    static Map<String, Object> conv2d(int in, int out, boolean bias) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "conv2d");
        m.put("in_channels", (long) in);
        m.put("out_channels", (long) out);
        m.put("kernel_size", List.of(3L, 3L));
        m.put("padding", List.of(1L, 1L));
        m.put("bias", bias);
        return m;
    }

    static Map<String, Object> batchNorm(String op, int features) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("num_features", (long) features);
        m.put("eps", 1e-3);
        return m;
    }

    static Map<String, Object> op(String op) {
        return Map.of("op", op);
    }

    static HostTensor random(SplittableRandom r, double lo, double hi, int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return new HostTensor(s, v);
    }

    /** A BatchNorm's state under {@code name} with random statistics (variance in [0.5, 1.5]). */
    static void batchNormState(Map<String, HostTensor> state, String name, int c, SplittableRandom r) {
        state.put(name + ".weight", random(r, 0.5, 1.5, c));
        state.put(name + ".bias", random(r, -0.5, 0.5, c));
        state.put(name + ".running_mean", random(r, -0.5, 0.5, c));
        state.put(name + ".running_var", random(r, 0.5, 1.5, c));
        state.put(name + ".num_batches_tracked", HostTensor.ofLongs(Shape.of(), new long[] {3}));
    }

    /**
     * The standard ops plus {@code onnx.BatchNormalization}, {@code onnx.Relu}, {@code onnx.Add} and {@code onnx.Mul}
     * (never run).
     */
    static OpRegistry onnxLike() {
        OpRegistry r = OpRegistry.standard().copy();
        for (String t : List.of("BatchNormalization", "Relu", "Add", "Mul")) {
            r.register(FunctionalOp.of("onnx." + t, Signature.of("*inputs", "attrs=None", "opset=13", "outputs=1"),
                    (a, c) -> {
                        throw new UnsupportedOperationException("not run");
                    }));
        }
        return r;
    }
}
