package org.layers4j.nn.linear;

import java.lang.ref.Reference;
import java.util.SplittableRandom;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Linear(in_features, out_features, bias=True)}: y = x W^T + b over the last
 * dimension of an input [*, in_features] (any number of leading dimensions, or none). One GEMM on the
 * backend's {@link org.layers4j.spi.BlasOps} forward, two backward; the forward keeps the input.
 * Initialized as PyTorch: kaiming-uniform(a = √5) weight and bias uniform(±1/√in_features).
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, null, 0);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, null, 0);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Backend backend, long seed) {
        super(backend == null ? Backends.defaultBackend() : backend);
        if (inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be non-negative, but got"
                    + " in_features=" + inFeatures + ", out_features=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = inFeatures == 0 ? 0 : 1.0 / Math.sqrt(inFeatures);
        Shape ws = Shape.of(outFeatures, inFeatures);
        this.weight = registerParameter("weight", Init.uniform(backend(), rng, ws, bound));
        this.bias = bias ? registerParameter("bias", Init.uniform(backend(), rng, Shape.of(outFeatures), bound)) : null;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    public Tensor weight() {
        return weight.data();
    }

    /** The bias, or null when built without. */
    public Tensor bias() {
        return bias == null ? null : bias.data();
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        Shape s = requireInput("Linear", input);
        int last = s.rank() == 0 ? -1 : s.dim(s.rank() - 1);
        if (s.rank() == 0 || last != inFeatures) {
            String rows = s.rank() <= 1 ? "1" : Integer.toString(s.size() / Math.max(1, last));
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + rows + "x"
                    + (s.rank() == 0 ? 1 : last) + " and " + inFeatures + "x" + outFeatures + ")");
        }
        int m = sizeOfLeading(s);
        int[] od = s.dims();
        od[od.length - 1] = outFeatures;
        Shape os = Shape.of(od);
        int rows = m;
        Tensor w = weight.data();
        Tensor b = bias == null ? null : bias.data();
        Tensor out = compute(be, os, y -> {
            try (Tensor y2 = y.reshape(rows, outFeatures)) {
                be.blas().gemm(false, true, rows, outFeatures, inFeatures, input, w, y2, false);
                if (b != null) {
                    be.convolution().biasAdd(y2, b);
                }
            }
        }, input, w, b);
        return record("Linear", out, tensors(input), params(weight, bias), tensors(input, w),
                (dy, k) -> backward(be, rows, k[0], k[1], dy));
    }

    private static int sizeOfLeading(Shape s) {
        int m = 1;
        for (int i = 0; i < s.rank() - 1; i++) {
            m *= s.dim(i);
        }
        return m;
    }

    private Tensor[] backward(Backend be, int rows, Tensor x, Tensor w, Tensor dy) {
        Tensor dx = be.allocate(x.shape());
        Tensor dw = be.allocate(w.shape());
        Tensor db = bias == null ? null : be.allocate(Shape.of(outFeatures));
        try (Tensor dy2 = dy.reshape(rows, outFeatures)) {
            be.blas().gemm(false, false, rows, inFeatures, outFeatures, dy2, w, dx, false);
            be.blas().gemm(true, false, outFeatures, inFeatures, rows, dy2, x, dw, false);
            if (db != null) {
                be.convolution().biasGradient(dy2, db);
            }
        } catch (RuntimeException e) {
            dx.close();
            dw.close();
            if (db != null) {
                db.close();
            }
            throw e;
        } finally {
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(w);
            Reference.reachabilityFence(dy);
        }
        return db == null ? new Tensor[] {dx, dw} : new Tensor[] {dx, dw, db};
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False");
    }
}
