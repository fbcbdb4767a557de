package org.layers4j.nn;

import java.lang.ref.Reference;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;
import org.layers4j.spi.ConvGeometry;

/**
 * What {@link Conv1d} and {@link Conv2d} share: parameters initialized as PyTorch does, forward and
 * backward through the backend SPI following the {@link ConvPlan} that {@link ConvSpec} makes.
 * Safe to call forward / backward from many threads at once; setting parameters is not meant to
 * race with them.
 */
public abstract class Convolution implements Layer {
    private final ConvSpec spec;
    private volatile Backend backend;
    private volatile Tensor weight;
    private volatile Tensor bias;

    protected Convolution(ConvSpec spec, Backend backend, long seed) {
        this.spec = spec;
        this.backend = Layers.requireBackend(backend);
        // PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in); bias the same
        double bound = 1.0 / Math.sqrt(spec.fanIn());
        SplittableRandom rng = new SplittableRandom(seed);
        this.weight = backend.upload(uniform(rng, spec.weightShape().size(), bound), spec.weightShape());
        this.bias = spec.bias() ? backend.upload(uniform(rng, spec.outChannels(), bound), Shape.of(spec.outChannels()))
                : null;
    }

    private static float[] uniform(SplittableRandom rng, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /** The validated arguments. */
    public ConvSpec spec() {
        return spec;
    }

    /** The weight, [out_channels, in_channels / groups, *kernel_size]; owned by the layer. */
    public Tensor weight() {
        return weight;
    }

    /** The bias, [out_channels], or null when built with {@code bias(false)}; owned by the layer. */
    public Tensor bias() {
        return bias;
    }

    /** Replaces the weight by a copy of {@code values} (shape-checked; any backend). */
    public void setWeight(Tensor values) {
        setParameter("weight", Layers.requireTensor("weight", values, spec.weightShape()).toArray());
    }

    /** Replaces the bias by a copy of {@code values} (shape-checked; any backend). */
    public void setBias(Tensor values) {
        setParameter("bias", Layers.requireTensor("bias", values, Shape.of(spec.outChannels())).toArray());
    }

    @Override
    public void setParameter(String name, float[] values) {
        if (values == null) {
            throw new IllegalArgumentException(name + " values must not be null");
        }
        if ("weight".equals(name)) {
            Layers.requireLength("weight", values, spec.weightShape());
            Tensor old = weight;
            weight = backend.upload(values.clone(), spec.weightShape());
            old.close();
        } else if ("bias".equals(name) && spec.bias()) {
            Layers.requireLength("bias", values, Shape.of(spec.outChannels()));
            Tensor old = bias;
            bias = backend.upload(values.clone(), Shape.of(spec.outChannels()));
            old.close();
        } else {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter '" + name
                    + "'; its parameters are " + parameters().keySet());
        }
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("weight", weight);
        if (bias != null) {
            p.put("bias", bias);
        }
        return p;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Convolution to(Backend target) {
        Layers.requireBackend(target);
        if (target != backend) {
            Tensor w = target.upload(weight.toArray(), weight.shape());
            Tensor b = bias == null ? null : target.upload(bias.toArray(), bias.shape());
            close();
            weight = w;
            bias = b;
            backend = target;
        }
        return this;
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend;
        ConvPlan plan = spec.plan(Layers.requireInput(spec.opName(), input, be));
        ConvGeometry g = plan.geometry();
        return Layers.compute(be, plan.outputShape(), out -> {
            try (Tensor x4 = input.reshape(plan.input4d());
                 Tensor padded = padded(be, plan, x4);
                 Tensor w4 = weight4d();
                 Tensor y4 = out.reshape(plan.output4d())) {
                be.convolution().forward(g, padded, w4, y4);
                Tensor b = bias;
                if (b != null) {
                    be.convolution().biasAdd(y4, b);
                }
            }
        }, input);
    }

    @Override
    public Gradients backward(Tensor input, Tensor gradOutput) {
        Backend be = backend;
        ConvPlan plan = spec.plan(Layers.requireInput(spec.opName(), input, be));
        Layers.requireGradOutput(gradOutput, plan.outputShape(), be);
        ConvGeometry g = plan.geometry();
        Tensor gradInput = be.allocate(input.shape());
        Tensor gradWeight = be.allocate(spec.weightShape());
        Tensor gradBias = bias == null ? null : be.allocate(bias.shape());
        try (Tensor x4 = input.reshape(plan.input4d());
             Tensor dy4 = gradOutput.reshape(plan.output4d());
             Tensor dx4 = gradInput.reshape(plan.input4d());
             Tensor dw4 = gradWeight.reshape(weight4dShape());
             Tensor w4 = weight4d()) {
            try (Tensor padded = padded(be, plan, x4)) {
                be.convolution().backwardFilter(g, padded, dy4, dw4);
            }
            if (gradBias != null) {
                be.convolution().biasGradient(dy4, gradBias);
            }
            if (plan.padding() == null) {
                be.convolution().backwardData(g, dy4, w4, dx4);
            } else {
                try (Tensor dPadded = be.allocate(plan.convInput4d())) {
                    be.convolution().backwardData(g, dy4, w4, dPadded);
                    be.layout().padBackward(plan.padding(), dPadded, dx4);
                }
            }
        } catch (RuntimeException e) {
            gradInput.close();
            gradWeight.close();
            if (gradBias != null) {
                gradBias.close();
            }
            throw e;
        } finally {
            Reference.reachabilityFence(input);
            Reference.reachabilityFence(gradOutput);
            Reference.reachabilityFence(gradInput);
            Reference.reachabilityFence(gradWeight);
            Reference.reachabilityFence(gradBias);
        }
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("weight", gradWeight);
        if (gradBias != null) {
            p.put("bias", gradBias);
        }
        return new Gradients(gradInput, p);
    }

    /** The input of the plain convolution: a view of x4, or a new padded tensor (closing a view is a no-op). */
    private static Tensor padded(Backend be, ConvPlan plan, Tensor x4) {
        if (plan.padding() == null) {
            return x4.reshape(x4.shape());
        }
        Tensor p = be.allocate(plan.convInput4d());
        try {
            be.layout().pad(plan.padding(), x4, p);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private Shape weight4dShape() {
        Shape w = spec.weightShape();
        return spec.dims() == 2 ? w : Shape.of(w.dim(0), w.dim(1), 1, w.dim(2));
    }

    private Tensor weight4d() {
        return weight.reshape(weight4dShape());
    }

    @Override
    public void close() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
    }

    @Override
    public String toString() {
        return spec.opName() + "(" + spec + ")";
    }
}
