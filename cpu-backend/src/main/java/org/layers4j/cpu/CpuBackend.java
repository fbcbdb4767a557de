package org.layers4j.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.Backend;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pure-Java backend: tensors are {@code float[]} on the heap, convolutions run as register-blocked
 * GEMMs over padded input bands and direct depthwise loops ({@link ConvEngine}) with Vector API or scalar inner
 * kernels ({@link Kernels}), on a fixed pool of {@code layers4j.cpu.threads} threads (default: the
 * available processors). All state shared between calls is immutable or thread-confined (per-thread
 * scratch buffers), so any number of threads may call it at once.
 */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
    /** Configuration key: run the once-per-JVM JIT warm-up when the first backend is created (default true). */
    public static final String WARMUP_KEY = "layers4j.cpu.warmup";

    private final Kernels kernels;
    private final ParallelRunner runner;
    private final ConvEngine conv;
    private final Elementwise elementwise;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Arrays of closed tensors for reuse: up to 32 Mi floats (128 MiB). */
    private final ArrayPool pool = new ArrayPool(32L * 1024 * 1024);

    /**
     * A backend configured by {@code layers4j.cpu.threads}, {@code layers4j.cpu.kernels} and
     * {@code layers4j.cpu.warmup}.
     */
    public CpuBackend(Config config) {
        int threads = config.getInt(Config.CPU_THREADS, Runtime.getRuntime().availableProcessors());
        this.kernels = Kernels.select(config.get(Kernels.KERNELS_KEY, "auto").value());
        this.runner = new ParallelRunner(threads);
        this.conv = new ConvEngine(kernels, runner);
        this.elementwise = new Elementwise(runner, kernels);
        if (config.getBoolean(WARMUP_KEY, true)) {
            long t0 = System.nanoTime();
            JitWarmup.once(kernels, conv);
            LOG.debug("JIT warm-up took {} ms", (System.nanoTime() - t0) / 1_000_000);
        }
        LOG.info("layers4j cpu backend: {} thread(s), kernels: {}", threads, kernels.description());
    }

    /** The kernel family in use, as logged at creation. */
    public String kernelDescription() {
        return kernels.description();
    }

    /** The number of threads convolutions run on. */
    public int threads() {
        return runner.threads();
    }

    /** The name prefix of this backend's pool threads. */
    String threadPrefix() {
        return runner.threadPrefix();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Tensor allocate(Shape shape) {
        float[] a = pool.recycled(shape.size());
        if (a == null) {
            return Tensor.wrap(this, shape, new CpuStorage(new float[shape.size()], pool, null));
        }
        return Tensor.wrap(this, shape, new CpuStorage(a, pool, elementwise::zero));
    }

    @Override
    public Tensor upload(float[] data, Shape shape) {
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("data has " + data.length + " values but shape " + shape.dimsString()
                    + " needs " + shape.size());
        }
        float[] copy = pool.uninitialized(data.length);
        System.arraycopy(data, 0, copy, 0, data.length);
        return Tensor.wrap(this, shape, new CpuStorage(copy, pool, null));
    }

    @Override
    public float[] download(Tensor tensor) {
        return CpuStorage.of(tensor).clone();
    }

    @Override
    public void convolutionForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        conv.forward(g, CpuStorage.of(x), CpuStorage.of(w), CpuStorage.overwrite(y));
    }

    @Override
    public void convolutionBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        conv.backwardData(g, CpuStorage.of(dy), CpuStorage.of(w), CpuStorage.overwrite(dx));
    }

    @Override
    public void convolutionBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        conv.backwardFilter(g, CpuStorage.of(x), CpuStorage.of(dy), CpuStorage.overwrite(dw));
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        Shape s = y.shape();
        elementwise.biasAdd(CpuStorage.of(y), CpuStorage.of(bias), s.dim(0), s.dim(1), spatial(s));
    }

    @Override
    public void biasGradient(Tensor dy, Tensor db) {
        Shape s = dy.shape();
        elementwise.biasGradient(CpuStorage.of(dy), CpuStorage.overwrite(db), s.dim(0), s.dim(1), spatial(s));
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        elementwise.reluForward(CpuStorage.of(x), CpuStorage.overwrite(y), x.shape().size());
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        elementwise.reluBackward(CpuStorage.of(x), CpuStorage.of(dy), CpuStorage.overwrite(dx), x.shape().size());
    }

    @Override
    public void pad(PaddingPlan plan, Tensor x, Tensor padded) {
        Shape s = x.shape();
        elementwise.pad(plan, CpuStorage.of(x), CpuStorage.overwrite(padded), s.dim(0) * s.dim(1), s.dim(2), s.dim(3));
    }

    @Override
    public void padBackward(PaddingPlan plan, Tensor dPadded, Tensor dx) {
        Shape s = dx.shape();
        elementwise.padBackward(plan, CpuStorage.of(dPadded), CpuStorage.overwrite(dx), s.dim(0) * s.dim(1), s.dim(2), s.dim(3));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            runner.close();
            pool.close();
        }
    }

    /** Product of the dimensions after [n, k]: the spatial size of a plane (1 for a rank-2 tensor). */
    private static int spatial(Shape s) {
        int p = 1;
        for (int i = 2; i < s.rank(); i++) {
            p *= s.dim(i);
        }
        return p;
    }
}
