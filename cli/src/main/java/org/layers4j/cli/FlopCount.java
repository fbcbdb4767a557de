package org.layers4j.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.DoubleAdder;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BlasOps;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.ConvolutionOps;
import org.layers4j.spi.ElementwiseOps;
import org.layers4j.spi.LayoutOps;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.NormalizationOps;
import org.layers4j.spi.OptimizerOps;
import org.layers4j.spi.PointwiseOps;
import org.layers4j.spi.PoolingOps;
import org.layers4j.spi.ResampleOps;
import org.layers4j.spi.TensorStorage;
import org.layers4j.spi.Tensors;

/**
 * Counts the convolution and matrix-multiply FLOPs a model asks its backend for: a {@link Backend} that runs
 * everything on a delegate and adds, per call, 2 × the multiply-adds of every convolution (forward, backward
 * data, backward filter: {@link ConvGeometry#flops()} each, suite.json's definition) and every GEMM
 * ({@code 2 m n k}; Linear's forward and backward). Bias additions, normalization, activations, pooling and
 * the optimizer are not counted. Load the model on it, run what is to be counted once, read {@link #flops()}.
 *
 * <p>Its tensors are its own handles on the delegate's tensors (so modules built on it accept them); each op
 * family is a proxy that hands the delegate's tensors to the delegate's family.
 */
final class FlopCount implements Backend {
    private final Backend delegate;
    private final DoubleAdder flops = new DoubleAdder();
    private final ConvolutionOps convolution;
    private final BlasOps blas;

    FlopCount(Backend delegate) {
        this.delegate = delegate;
        this.convolution = family(ConvolutionOps.class, delegate.convolution(), this::countConvolution);
        this.blas = family(BlasOps.class, delegate.blas(), this::countGemm);
    }

    /** The FLOPs counted so far. */
    double flops() {
        return flops.sum();
    }

    /** Sets the count back to zero. */
    void reset() {
        flops.reset();
    }

    private void countConvolution(Method m, Object[] args) {
        String name = m.getName();
        if ((name.equals("forward") || name.equals("backwardData") || name.equals("backwardFilter"))
                && args.length > 0 && args[0] instanceof ConvGeometry g) {
            flops.add(g.flops());
        }
    }

    private void countGemm(Method m, Object[] args) {
        if (m.getName().equals("gemm")) {
            flops.add(2.0 * (int) args[2] * (double) (int) args[3] * (int) args[4]);
        }
    }

    /** Counts a call (before it runs), given the method and its arguments. */
    private interface Counter {
        void count(Method m, Object[] args);
    }

    /**
     * A proxy of family {@code type} that counts with {@code counter} (may be null) and runs the delegate's
     * method with every tensor argument replaced by the delegate's tensor. Default methods of the family run
     * as the delegate implements them (the delegate's calls to its own methods are not counted twice).
     */
    private <T> T family(Class<T> type, T target, Counter counter) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getDeclaringClass() == Object.class) {
                return switch (m.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "counting " + type.getSimpleName() + " of " + delegate.name();
                };
            }
            Object[] a = args == null ? new Object[0] : args.clone();
            if (counter != null) {
                counter.count(m, a);
            }
            List<Tensor> views = new ArrayList<>();
            try {
                for (int i = 0; i < a.length; i++) {
                    if (a[i] instanceof Tensor t) {
                        a[i] = inner(t, views);
                    } else if (a[i] instanceof ConvEpilogue e && e.residual() != null) {
                        a[i] = e.withResidual(inner(e.residual(), views)); // a fused residual add's tensor
                    }
                }
                return m.invoke(target, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                views.forEach(Tensor::close);
            }
        };
        return type.cast(Proxy.newProxyInstance(FlopCount.class.getClassLoader(), new Class<?>[] {type}, h));
    }

    /** Our handle's storage: the delegate's tensor, closed when our handle's memory is released. */
    private record Wrapped(Tensor tensor) implements TensorStorage {
        @Override
        public void release() {
            tensor.close();
        }
    }

    private Tensor wrap(Tensor t) {
        return Tensors.wrap(this, t.shape(), t.dtype(), new Wrapped(t));
    }

    /**
     * The delegate's tensor behind {@code t}, in {@code t}'s shape (a reshape of ours is a view of the same
     * memory: the delegate gets a reshaped view too, added to {@code views} to be closed after the call).
     */
    private Tensor inner(Tensor t, List<Tensor> views) {
        if (t.backend() != this) {
            return t;
        }
        Tensor in = ((Wrapped) Tensors.storage(t)).tensor();
        if (in.shape().equals(t.shape())) {
            return in;
        }
        Tensor v = in.reshape(t.shape());
        views.add(v);
        return v;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Tensor allocate(Shape shape, DType dtype) {
        return wrap(delegate.allocate(shape, dtype));
    }

    @Override
    public Tensor upload(float[] data, Shape shape) {
        return wrap(delegate.upload(data, shape));
    }

    @Override
    public Tensor upload(long[] data, Shape shape) {
        return wrap(delegate.upload(data, shape));
    }

    @Override
    public float[] download(Tensor tensor) {
        List<Tensor> views = new ArrayList<>();
        try {
            return delegate.download(inner(tensor, views));
        } finally {
            views.forEach(Tensor::close);
        }
    }

    @Override
    public long[] downloadLongs(Tensor tensor) {
        List<Tensor> views = new ArrayList<>();
        try {
            return delegate.downloadLongs(inner(tensor, views));
        } finally {
            views.forEach(Tensor::close);
        }
    }

    @Override
    public ConvolutionOps convolution() {
        return convolution;
    }

    @Override
    public BlasOps blas() {
        return blas;
    }

    @Override
    public PoolingOps pooling() {
        return family(PoolingOps.class, delegate.pooling(), null);
    }

    @Override
    public NormalizationOps normalization() {
        return family(NormalizationOps.class, delegate.normalization(), null);
    }

    @Override
    public ActivationOps activation() {
        return family(ActivationOps.class, delegate.activation(), null);
    }

    @Override
    public ElementwiseOps elementwise() {
        return family(ElementwiseOps.class, delegate.elementwise(), null);
    }

    @Override
    public LayoutOps layout() {
        return family(LayoutOps.class, delegate.layout(), null);
    }

    @Override
    public OptimizerOps optimizer() {
        return family(OptimizerOps.class, delegate.optimizer(), null);
    }

    @Override
    public PointwiseOps pointwise() {
        return family(PointwiseOps.class, delegate.pointwise(), null);
    }

    @Override
    public ResampleOps resample() {
        return family(ResampleOps.class, delegate.resample(), null);
    }

    @Override
    public MemoryStats memory() {
        return delegate.memory();
    }

    @Override
    public void synchronize() {
        delegate.synchronize();
    }

    /** Closes nothing: the delegate is the caller's. */
    @Override
    public void close() {
    }
}
