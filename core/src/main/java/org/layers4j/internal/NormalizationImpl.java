package org.layers4j.internal;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * Layer and group normalization as the modules ({@code nn.norm.LayerNorm}, {@code nn.norm.GroupNorm}) and the
 * functional forms ({@code nn.functional.Normalization}) share: validation with PyTorch's messages, the backend
 * calls on the [rows, cols] / [n, c, s] views, and the recorded backward. The affine weight and bias come either
 * as module {@link Parameter}s (recorded as parameters: gradients accumulate into them) or as plain tensors
 * (recorded as inputs: gradients reach them as tape inputs). Not API.
 */
public final class NormalizationImpl {
    private NormalizationImpl() {
    }

    /** The affine weight and bias of one call: tensors, with their parameter holders when a module owns them. */
    public record Affine(Tensor weight, Tensor bias, Parameter weightParam, Parameter biasParam) {
        /** Plain tensors (nullable), recorded as tape inputs. */
        public static Affine ofTensors(Tensor weight, Tensor bias) {
            return new Affine(weight, bias, null, null);
        }

        /** A module's parameters (nullable), recorded as parameters. */
        public static Affine ofParams(Parameter weight, Parameter bias) {
            return new Affine(weight == null ? null : weight.data(), bias == null ? null : bias.data(), weight, bias);
        }
    }

    /** The kernel of one backward: dx, dWeight, dBias (the last two null when not wanted). */
    private interface BackwardKernel {
        void run(Tensor dx, Tensor dWeight, Tensor dBias);
    }

    /** F.layer_norm(x, normalized_shape, weight, bias, eps). */
    public static Tensor layerNorm(String op, Tensor x, int[] normalizedShape, Affine affine, double eps) {
        Backend be = requireX(op, x);
        if (normalizedShape == null) {
            throw new IllegalArgumentException(op + ": normalized_shape must not be null");
        }
        Shape ns = Shape.of(normalizedShape.clone());
        if (normalizedShape.length == 0) {
            throw new IllegalArgumentException("Expected normalized_shape to be at least 1-dimensional, i.e., containing"
                    + " at least one element, but got normalized_shape = []");
        }
        checkAffine(op, be, affine.weight(), "weight", ns, normalizedShape);
        checkAffine(op, be, affine.bias(), "bias", ns, normalizedShape);
        Shape s = x.shape();
        int k = normalizedShape.length;
        boolean fits = s.rank() >= k;
        for (int i = 0; fits && i < k; i++) {
            fits = s.dim(s.rank() - k + i) == normalizedShape[i];
        }
        if (!fits) {
            StringBuilder star = new StringBuilder("[*");
            for (int d : normalizedShape) {
                star.append(", ").append(d);
            }
            throw new IllegalArgumentException("Given normalized_shape=" + Arrays.toString(normalizedShape)
                    + ", expected input with shape " + star + "], but got input of size" + s.dimsString());
        }
        int cols = ns.size();
        int rows = cols == 0 ? 0 : s.size() / cols;
        if (s.size() == 0) {
            return record(op, be.allocate(s), x, affine, new Tensor[0], null);
        }
        Shape rowShape = Shape.of(rows);
        Tensor w = affine.weight();
        Tensor b = affine.bias();
        try (Tensor mean = be.allocate(rowShape); Tensor invStd = be.allocate(rowShape)) {
            Tensor out = Module.compute(be, s, y -> {
                try (Tensor x2 = x.reshape(rows, cols); Tensor y2 = y.reshape(rows, cols);
                     Tensor w1 = flat(w, cols); Tensor b1 = flat(b, cols)) {
                    be.normalization().layerNorm(x2, w1, b1, eps, y2, mean, invStd);
                }
            }, x, w, b, mean, invStd);
            return record(op, out, x, affine, new Tensor[] {x, w, mean, invStd}, (dy, k2) -> backward(be, affine, k2[0],
                    dy, (dx, dw, db) -> {
                        try (Tensor x2 = k2[0].reshape(rows, cols); Tensor dy2 = dy.reshape(rows, cols);
                             Tensor dx2 = dx.reshape(rows, cols); Tensor w1 = flat(k2[1], cols);
                             Tensor dw1 = flat(dw, cols); Tensor db1 = flat(db, cols)) {
                            be.normalization().layerNormBackward(x2, dy2, w1, k2[2], k2[3], dx2, dw1, db1);
                        }
                    }));
        }
    }

    /** F.group_norm(x, num_groups, weight, bias, eps) for x [N, C, *]. */
    public static Tensor groupNorm(String op, Tensor x, int numGroups, Affine affine, double eps) {
        Backend be = requireX(op, x);
        Shape s = x.shape();
        if (s.rank() < 2) {
            throw new IllegalArgumentException(op + ": Expected at least 2 dimensions for input tensor but received "
                    + s.rank());
        }
        if (numGroups <= 0) {
            throw new IllegalArgumentException(op + ": num_groups must be a positive integer, but got " + numGroups);
        }
        int n = s.dim(0);
        int c = s.dim(1);
        int spatial = 1;
        for (int i = 2; i < s.rank(); i++) {
            spatial *= s.dim(i);
        }
        // F.group_norm's _verify_batch_size on [N * C // G, G, *]
        long perChannel = (long) n * c / numGroups * spatial;
        if (perChannel == 1) {
            int[] v = s.dims();
            v[0] = (int) ((long) n * c / numGroups);
            v[1] = numGroups;
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                    + Arrays.toString(v));
        }
        if (c % numGroups != 0) {
            throw new IllegalArgumentException("Expected number of channels in input to be divisible by num_groups, but"
                    + " got input of shape " + s.dimsString() + " and num_groups=" + numGroups);
        }
        for (int i = 0; i < 2; i++) {
            Tensor t = i == 0 ? affine.weight() : affine.bias();
            String name = i == 0 ? "weight" : "bias";
            if (t == null) {
                continue;
            }
            requireTensor(op + ": " + name, t, be);
            if (t.shape().rank() != 1 || t.shape().dim(0) != c) {
                throw new IllegalArgumentException("Expected " + name + " to be a vector of size equal to the number of"
                        + " channels in input, but got " + name + " of shape " + t.shape().dimsString()
                        + " and input of shape " + s.dimsString());
            }
        }
        if (s.size() == 0) {
            return record(op, be.allocate(s), x, affine, new Tensor[0], null);
        }
        Shape x3 = Shape.of(n, c, spatial);
        Shape stats = Shape.of(n, numGroups);
        Tensor w = affine.weight();
        Tensor b = affine.bias();
        try (Tensor mean = be.allocate(stats); Tensor invStd = be.allocate(stats)) {
            Tensor out = Module.compute(be, s, y -> {
                try (Tensor xv = x.reshape(x3); Tensor yv = y.reshape(x3)) {
                    be.normalization().groupNorm(xv, numGroups, w, b, eps, yv, mean, invStd);
                }
            }, x, w, b, mean, invStd);
            return record(op, out, x, affine, new Tensor[] {x, w, mean, invStd}, (dy, k2) -> backward(be, affine, k2[0],
                    dy, (dx, dw, db) -> {
                        try (Tensor xv = k2[0].reshape(x3); Tensor dyv = dy.reshape(x3); Tensor dxv = dx.reshape(x3)) {
                            be.normalization().groupNormBackward(xv, dyv, numGroups, k2[1], k2[2], k2[3], dxv, dw, db);
                        }
                    }));
        }
    }

    private static Backend requireX(String op, Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException(op + ": input must not be null");
        }
        Backend be = x.backend();
        requireTensor(op + ": input", x, be);
        return be;
    }

    private static void requireTensor(String what, Tensor t, Backend be) {
        Module.requireOnBackend(what, t, be);
        if (t.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(what + ": expected a float32 tensor, but got " + t.dtype().torchName()
                    + " tensor of size " + t.shape().dimsString());
        }
    }

    private static void checkAffine(String op, Backend be, Tensor t, String name, Shape ns, int[] normalizedShape) {
        if (t == null) {
            return;
        }
        requireTensor(op + ": " + name, t, be);
        if (!t.shape().equals(ns)) {
            throw new IllegalArgumentException("Expected " + name + " to be of same shape as normalized_shape, but got "
                    + name + " of shape " + t.shape().dimsString() + " and normalized_shape = "
                    + Arrays.toString(normalizedShape));
        }
    }

    /** A 1-D view of an affine tensor (null stays null). */
    private static Tensor flat(Tensor t, int cols) {
        return t == null ? null : t.reshape(cols);
    }

    /**
     * Records the op: x, then the plain-tensor weight / bias, as inputs; the module's weight / bias as
     * parameters. {@code fn} returns [dx, dWeight?, dBias?] in that order, which matches.
     */
    private static Tensor record(String op, Tensor out, Tensor x, Affine a, Tensor[] saved,
                                 org.layers4j.nn.BackwardFunction fn) {
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x);
        List<Parameter> params = new ArrayList<>();
        if (a.weight() != null) {
            if (a.weightParam() != null) {
                params.add(a.weightParam());
            } else {
                inputs.add(a.weight());
            }
        }
        if (a.bias() != null) {
            if (a.biasParam() != null) {
                params.add(a.biasParam());
            } else {
                inputs.add(a.bias());
            }
        }
        org.layers4j.nn.BackwardFunction f = fn != null ? fn : (dy, k) -> {
            throw new IllegalStateException("an empty input has no backward to run");
        };
        return Tape.record(op, out, inputs.toArray(new Tensor[0]), params.toArray(new Parameter[0]), saved, f);
    }

    /** Allocates dx / dWeight / dBias, runs the kernel, and returns them in recording order. */
    private static Tensor[] backward(Backend be, Affine a, Tensor x, Tensor dy, BackwardKernel kernel) {
        Tensor dx = be.allocate(x.shape());
        Tensor dw = a.weight() == null ? null : be.allocate(a.weight().shape());
        Tensor db = a.bias() == null ? null : be.allocate(a.bias().shape());
        try {
            kernel.run(dx, dw, db);
        } catch (RuntimeException e) {
            for (Tensor t : new Tensor[] {dx, dw, db}) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(dy);
        }
        List<Tensor> r = new ArrayList<>();
        r.add(dx);
        if (dw != null) {
            r.add(dw);
        }
        if (db != null) {
            r.add(db);
        }
        return r.toArray(new Tensor[0]);
    }
}
