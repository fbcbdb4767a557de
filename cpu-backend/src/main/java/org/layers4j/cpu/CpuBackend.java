package org.layers4j.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BlasOps;
import org.layers4j.spi.ConvolutionOps;
import org.layers4j.spi.ElementwiseOps;
import org.layers4j.spi.LayoutOps;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.OptimizerOps;
import org.layers4j.spi.NormalizationOps;
import org.layers4j.spi.PoolingOps;
import org.layers4j.spi.Tensors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pure-Java backend: float32 tensors are {@code float[]} on the heap (INT64 ones {@code long[]}),
 * convolutions run as register-blocked GEMMs over padded input bands and direct depthwise loops
 * ({@link ConvEngine}) with Vector API or scalar inner kernels ({@link Kernels}, {@link PointwiseKernels}),
 * on a fixed pool of {@code layers4j.cpu.threads} threads (default: the available processors). Each op
 * family is one class holding the shared kernels and thread pool. All state shared between calls is
 * immutable or thread-confined (per-thread scratch buffers), so any number of threads may call it at once.
 */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
    /** Configuration key: run the once-per-JVM JIT warm-up when the first backend is created (default true). */
    public static final String WARMUP_KEY = "layers4j.cpu.warmup";

    private final Kernels kernels;
    private final ParallelRunner runner;
    private final Elementwise elementwise;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Configuration key: the most bytes of closed tensors' arrays kept for reuse (see {@link ArrayPool}). */
    public static final String POOL_BYTES_KEY = "layers4j.cpu.poolBytes";
    /** The most threads a backend accepts: {@code max(256, 4 × available processors)}. */
    public static final int MAX_THREADS = Math.max(256, 4 * Runtime.getRuntime().availableProcessors());

    /** Arrays of closed tensors for reuse, bounded by {@link #POOL_BYTES_KEY}, released under memory pressure. */
    private final ArrayPool pool;
    private final MemoryStats memory = MemoryStats.tracking();
    private final CpuConvolutionOps convolutionOps;
    private final CpuPoolingOps poolingOps;
    private final CpuNormalizationOps normalizationOps;
    private final CpuBlasOps blasOps;
    private final CpuActivationOps activationOps;
    private final CpuElementwiseOps elementwiseOps;
    private final CpuLayoutOps layoutOps;
    private final CpuOptimizerOps optimizerOps;
    private final CpuPointwiseOps pointwiseOps;
    private final CpuResampleOps resampleOps;

    /**
     * A backend configured by {@code layers4j.cpu.threads}, {@code layers4j.cpu.kernels} and
     * {@code layers4j.cpu.warmup}.
     */
    public CpuBackend(Config config) {
        java.util.Objects.requireNonNull(config, "config");
        int threads = config.getInt(Config.CPU_THREADS, Runtime.getRuntime().availableProcessors());
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException(Config.CPU_THREADS + " must be between 1 and " + MAX_THREADS
                    + " (the larger of 256 and 4 x the " + Runtime.getRuntime().availableProcessors()
                    + " available processors), but got " + threads);
        }
        long poolBytes = config.getLong(POOL_BYTES_KEY, defaultPoolBytes());
        if (poolBytes < 0) {
            throw new IllegalArgumentException(POOL_BYTES_KEY + " must be >= 0 (0: no pooling), but got " + poolBytes);
        }
        this.pool = new ArrayPool(poolBytes / Float.BYTES);
        this.kernels = Kernels.select(config.get(Kernels.KERNELS_KEY, "auto").value());
        this.runner = new ParallelRunner(threads);
        try {
            ConvEngine conv = new ConvEngine(kernels, runner, pool);
            this.elementwise = new Elementwise(runner, kernels);
            this.convolutionOps = new CpuConvolutionOps(conv, elementwise, kernels, memory);
            this.poolingOps = new CpuPoolingOps(kernels, elementwise);
            this.normalizationOps = new CpuNormalizationOps(kernels, runner);
            this.blasOps = new CpuBlasOps(kernels, runner);
            this.activationOps = new CpuActivationOps(kernels, elementwise, runner);
            this.elementwiseOps = new CpuElementwiseOps(kernels.pointwise(), elementwise);
            this.layoutOps = new CpuLayoutOps(kernels.pointwise(), runner, elementwise);
            this.optimizerOps = new CpuOptimizerOps(elementwise);
            this.pointwiseOps = new CpuPointwiseOps(kernels, elementwise, runner);
            this.resampleOps = new CpuResampleOps(runner);
            if (config.getBoolean(WARMUP_KEY, true)) {
                long t0 = System.nanoTime();
                JitWarmup.once(kernels, conv);
                LOG.debug("JIT warm-up took {} ms", (System.nanoTime() - t0) / 1_000_000);
            }
        } catch (RuntimeException | Error e) {
            runner.close(); // no worker thread outlives a constructor that failed
            throw e;
        }
        LOG.info("layers4j cpu backend: {} thread(s), kernels: {}", threads, kernels.description());
    }

    /**
     * The default pool bound: a quarter of the maximum heap. A training step holds every activation until its
     * backward, and recycles its arrays only if the pool holds them all: ResNet-50 at batch 8 peaks at 1.25 GiB of
     * tensors, MobileNetV3-Large at batch 16 at 0.88 GiB. Under the former bound (an eighth of the heap, at most
     * 512 MiB) each of their steps allocated and zeroed its arrays afresh (1.5 GB a MobileNetV3 step) and the old
     * generation filled up: a full collection of ~100 ms every step, and the steps took 1.5-2x as long (2.50 -> 1.64 s,
     * 1.14-1.45 -> 0.66-0.69 s with the pool large enough). Pooled arrays are held softly, so they cost no
     * OutOfMemoryError, and an inference forward's peak memory is what its live arrays need either way.
     */
    static long defaultPoolBytes() {
        return Runtime.getRuntime().maxMemory() / 4;
    }

    /** The bytes of closed tensors' arrays the pool holds now. */
    long pooledBytes() {
        return pool.pooledFloats() * Float.BYTES;
    }

    /** The pool bound in bytes, as configured. */
    public long poolBytes() {
        return pool.maxFloats() * Float.BYTES;
    }

    /** A new zeroed array; when the heap is full, the pooled arrays are dropped and it is tried once more. */
    private float[] newArray(int size) {
        try {
            return new float[size];
        } catch (OutOfMemoryError e) {
            pool.clear();
            return new float[size];
        }
    }

    /** The kernel family in use, as logged at creation. */
    public String kernelDescription() {
        return kernels.description();
    }

    /** The number of threads operations run on. */
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

    /**
     * Tracked: every float / long array behind a tensor counts from its tensor's creation to its release
     * (close or Cleaner); views share their tensor's array and count once; arrays waiting in the pool of
     * closed tensors' arrays, and the convolution workspaces, are not tensor memory and do not count.
     */
    @Override
    public MemoryStats memory() {
        return memory;
    }

    /** The longest Java array HotSpot allocates (a few below Integer.MAX_VALUE). */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /**
     * An IllegalArgumentException naming the size when a tensor of {@code shape} cannot be allocated at all:
     * more elements than a Java array holds, or more bytes than the JVM's maximum heap (-Xmx).
     */
    static void checkAllocatable(Shape shape, DType dtype) {
        long n = shape.size();
        long bytes = n * (dtype == DType.INT64 ? Long.BYTES : Float.BYTES);
        long max = Runtime.getRuntime().maxMemory();
        if (n > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("cannot allocate a " + dtype.name().toLowerCase(java.util.Locale.ROOT) + " tensor of shape " + shape.dimsString()
                    + ": " + n + " elements, more than the CPU backend's largest array (" + MAX_ARRAY_LENGTH + ")");
        }
        if (bytes > max) {
            throw new IllegalArgumentException("cannot allocate a " + dtype.name().toLowerCase(java.util.Locale.ROOT) + " tensor of shape " + shape.dimsString()
                    + ": " + bytes + " bytes, more than the JVM's maximum heap of " + max + " bytes; it needs at least"
                    + " -Xmx" + ((bytes >> 30) + 1) + "g");
        }
    }

    @Override
    public Tensor allocate(Shape shape, DType dtype) {
        java.util.Objects.requireNonNull(shape, "shape");
        java.util.Objects.requireNonNull(dtype, "dtype");
        checkAllocatable(shape, dtype);
        if (dtype == DType.INT64) {
            return Tensors.wrap(this, shape, DType.INT64, new CpuLongStorage(new long[shape.size()], memory));
        }
        float[] a = pool.recycled(shape.size());
        if (a == null) {
            return Tensors.wrap(this, shape, CpuStorage.lazy(shape.size(), this::newArray, pool, memory));
        }
        return Tensors.wrap(this, shape, new CpuStorage(a, pool, elementwise::zero, memory));
    }

    @Override
    public Tensor upload(float[] data, Shape shape) {
        java.util.Objects.requireNonNull(data, "data");
        java.util.Objects.requireNonNull(shape, "shape");
        checkSize(data.length, shape);
        float[] copy = pool.recycled(data.length);
        if (copy == null) {
            copy = newArray(data.length);
        }
        System.arraycopy(data, 0, copy, 0, data.length);
        return Tensors.wrap(this, shape, new CpuStorage(copy, pool, null, memory));
    }

    /**
     * Wraps {@code data} itself (no copy). Freed, it is left to the garbage collector rather than pooled: adopted
     * arrays are a model's weights, whose sizes an activation rarely has, and a compiled model lets go of those it
     * holds packed ({@link PreparedWeights}).
     */
    @Override
    public Tensor adopt(float[] data, Shape shape) {
        java.util.Objects.requireNonNull(data, "data");
        java.util.Objects.requireNonNull(shape, "shape");
        checkSize(data.length, shape);
        return Tensors.wrap(this, shape, new CpuStorage(data, null, null, memory));
    }

    @Override
    public Tensor upload(long[] data, Shape shape) {
        java.util.Objects.requireNonNull(data, "data");
        java.util.Objects.requireNonNull(shape, "shape");
        checkSize(data.length, shape);
        return Tensors.wrap(this, shape, DType.INT64, new CpuLongStorage(data.clone(), memory));
    }

    private static void checkSize(int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException("data has " + length + " values but shape " + shape.dimsString()
                    + " needs " + shape.size());
        }
    }

    @Override
    public float[] download(Tensor tensor) {
        java.util.Objects.requireNonNull(tensor, "tensor");
        return CpuStorage.of(tensor).clone();
    }

    @Override
    public long[] downloadLongs(Tensor tensor) {
        java.util.Objects.requireNonNull(tensor, "tensor");
        return CpuLongStorage.of(tensor).clone();
    }

    @Override
    public ConvolutionOps convolution() {
        return convolutionOps;
    }

    @Override
    public PoolingOps pooling() {
        return poolingOps;
    }

    @Override
    public NormalizationOps normalization() {
        return normalizationOps;
    }

    @Override
    public BlasOps blas() {
        return blasOps;
    }

    @Override
    public ActivationOps activation() {
        return activationOps;
    }

    @Override
    public ElementwiseOps elementwise() {
        return elementwiseOps;
    }

    @Override
    public LayoutOps layout() {
        return layoutOps;
    }

    @Override
    public OptimizerOps optimizer() {
        return optimizerOps;
    }

    @Override
    public org.layers4j.spi.PointwiseOps pointwise() {
        return pointwiseOps;
    }

    @Override
    public org.layers4j.spi.ResampleOps resample() {
        return resampleOps;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            runner.close();
            pool.close();
        }
    }
}
