package org.layers4j.cuda;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
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
import org.layers4j.spi.TensorStorage;
import org.layers4j.spi.Tensors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Backend} on one CUDA device through cuDNN's descriptor API. Tensors live in device
 * memory from a {@link DeviceAllocator caching allocator} and stay there between layers; only
 * {@link #upload} and {@link #download} cross to the host. Each call borrows a cuDNN handle and
 * stream from a {@link ContextPool} (so threads never share one), queues its work, and waits for it
 * before returning, which is what lets any thread free or reuse any block afterwards. Descriptors
 * and algorithm rankings are created once per geometry and reused. The op families live in one class
 * each ({@code Cuda*Ops}); this class holds memory (float32 and INT64 tensors) and what they share.
 */
public final class CudnnBackend implements Backend {
    static final Pointer ONE = Pointer.to(new float[] {1f});
    static final Pointer ZERO = Pointer.to(new float[] {0f});
    private static final Logger LOG = LoggerFactory.getLogger(CudnnBackend.class);
    /** The cuBLAS fallback is a property of the JVM (the library loads once): warned about once. */
    private static final AtomicBoolean CUBLAS_WARNED = new AtomicBoolean();

    private final int device;
    private final String name;
    private final CudaSettings settings;
    private final DeviceAllocator allocator;
    private final MemoryStats memory = MemoryStats.tracking();
    private final ContextPool contexts;
    private final Descriptors descriptors;
    private final Convolutions convolutions;
    /** One float +inf on the device: the other operand of the ReLU gradient's NaN mask. */
    private final DeviceAllocator.Block positiveInfinity;
    private final Kernels kernels;
    /** Null when libcublas could not load: Linear's GEMM then runs as a cuDNN 1x1 convolution. */
    private final Cublas cublas;
    private final CudaConvolutionOps convolutionOps;
    private final CudaPoolingOps poolingOps;
    private final CudaNormalizationOps normalizationOps;
    private final CudaBlasOps blasOps;
    private final CudaActivationOps activationOps;
    private final CudaElementwiseOps elementwiseOps;
    private final CudaLayoutOps layoutOps;
    private final CudaOptimizerOps optimizerOps;

    CudnnBackend(int device, CudaSettings settings) {
        this.device = device;
        this.name = "cuda:" + device;
        this.settings = settings;
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        this.allocator = new DeviceAllocator(device);
        this.contexts = new ContextPool(device, allocator);
        this.descriptors = new Descriptors(settings.mathType());
        this.convolutions = new Convolutions(device, settings, descriptors, allocator);
        this.kernels = new Kernels(device);
        this.cublas = CublasLibrary.problem() == null ? new Cublas(settings) : null;
        this.positiveInfinity = allocator.allocate(Sizeof.FLOAT);
        CudaFailure.cuda(JCuda.cudaMemcpy(positiveInfinity.pointer, Pointer.to(new float[] {Float.POSITIVE_INFINITY}),
                Sizeof.FLOAT, cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy host to device");
        CudaFailure.cuda(JCuda.cudaStreamSynchronize(new cudaStream_t()), "cudaStreamSynchronize");
        this.convolutionOps = new CudaConvolutionOps(this);
        this.poolingOps = new CudaPoolingOps(this);
        this.normalizationOps = new CudaNormalizationOps(this);
        this.blasOps = new CudaBlasOps(this);
        this.activationOps = new CudaActivationOps(this);
        this.elementwiseOps = new CudaElementwiseOps(this);
        this.layoutOps = new CudaLayoutOps(this);
        this.optimizerOps = new CudaOptimizerOps(this);
        // fail now, not at the first layer, if this device cannot run cuDNN
        contexts.run(ctx -> null);
        logChoices();
    }

    /** One INFO line per backend: the device, cuDNN, cuBLAS, math type and workspace limit; WARN once without cuBLAS. */
    private void logChoices() {
        String cublasProblem = CublasLibrary.problem();
        if (LOG.isInfoEnabled()) {
            Map<String, String> details = CudaProbe.result().details();
            LOG.info("cuda backend {}: {}; cuDNN {}; cuBLAS {}; math {} ({}); workspace limit {} B per convolution;"
                    + " algorithms from {}{}", name, details.getOrDefault(name, "device " + device),
                    details.getOrDefault("cudnn", "version unknown"),
                    cublasProblem == null ? CublasLibrary.version() + " (Linear's GEMM: cublasSgemm)"
                            : "unavailable (" + cublasProblem + ")",
                    AlgoNames.mathType(settings.mathType()), settings.tf32() ? "TF32 allowed, " + CudaSettings.TF32
                            + "=true" : "strict FP32", settings.workspaceLimitBytes(),
                    settings.benchmark() ? "timing (cudnnFind...AlgorithmEx, " + CudaSettings.BENCHMARK + "=true)"
                            : "cuDNN's heuristics (cudnnGet...Algorithm_v7)",
                    settings.deterministic() ? ", deterministic ones only" : "");
        }
        if (cublasProblem != null && CUBLAS_WARNED.compareAndSet(false, true)) {
            LOG.warn("cuBLAS is unavailable ({}): Linear's GEMM runs on cuDNN as a 1x1 convolution instead (same"
                    + " result, usually slower). For cublasSgemm put libcublas.so.12 and libcublasLt.so.12 on the"
                    + " loader path (e.g. pip install nvidia-cublas-cu12, then LD_LIBRARY_PATH)", cublasProblem);
        }
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Tracked: the bytes of every live tensor's device memory, from allocation to release (views count once;
     * the caching allocator's free blocks and cuDNN workspaces do not count).
     */
    @Override
    public MemoryStats memory() {
        return memory;
    }

    public int device() {
        return device;
    }

    public CudaSettings settings() {
        return settings;
    }

    @Override
    public Tensor allocate(Shape shape, DType dtype) {
        java.util.Objects.requireNonNull(shape, "shape");
        java.util.Objects.requireNonNull(dtype, "dtype");
        Tensor t = newTensor(shape, dtype);
        long bytes = (long) shape.size() * dtype.bytes();
        if (bytes > 0) {
            contexts.run(ctx -> {
                CudaFailure.cuda(JCuda.cudaMemsetAsync(pointer(t), 0, bytes, ctx.stream), "cudaMemsetAsync");
                return null;
            });
        }
        return t;
    }

    @Override
    public Tensor upload(float[] data, Shape shape) {
        java.util.Objects.requireNonNull(data, "data");
        java.util.Objects.requireNonNull(shape, "shape");
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("upload of " + data.length + " values into shape " + shape.dimsString()
                    + " (" + shape.size() + " values)");
        }
        Tensor t = newTensor(shape, DType.FLOAT32);
        if (data.length > 0) {
            // synchronous cudaMemcpy: an async copy would read the Java array after JCuda released it
            CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            CudaFailure.cuda(JCuda.cudaMemcpy(pointer(t), Pointer.to(data), (long) data.length * Sizeof.FLOAT,
                    cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy host to device");
            // from pageable memory cudaMemcpy may return before the DMA lands; the calls that read the
            // tensor next run on non-blocking streams, so wait for the legacy stream the copy ran on
            CudaFailure.cuda(JCuda.cudaStreamSynchronize(new cudaStream_t()), "cudaStreamSynchronize (upload)");
        }
        return t;
    }

    @Override
    public Tensor upload(long[] data, Shape shape) {
        java.util.Objects.requireNonNull(data, "data");
        java.util.Objects.requireNonNull(shape, "shape");
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("upload of " + data.length + " values into shape " + shape.dimsString()
                    + " (" + shape.size() + " values)");
        }
        Tensor t = newTensor(shape, DType.INT64);
        if (data.length > 0) {
            CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            CudaFailure.cuda(JCuda.cudaMemcpy(pointer(t), Pointer.to(data), (long) data.length * Sizeof.LONG,
                    cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy host to device (INT64)");
            CudaFailure.cuda(JCuda.cudaStreamSynchronize(new cudaStream_t()), "cudaStreamSynchronize (upload)");
        }
        return t;
    }

    @Override
    public float[] download(Tensor tensor) {
        java.util.Objects.requireNonNull(tensor, "tensor");
        requireDType(tensor, DType.FLOAT32, "download");
        float[] out = new float[tensor.shape().size()];
        if (out.length > 0) {
            Pointer p = pointer(tensor);
            CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            CudaFailure.cuda(JCuda.cudaMemcpy(Pointer.to(out), p, (long) out.length * Sizeof.FLOAT,
                    cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy device to host");
        }
        return out;
    }

    @Override
    public long[] downloadLongs(Tensor tensor) {
        java.util.Objects.requireNonNull(tensor, "tensor");
        requireDType(tensor, DType.INT64, "downloadLongs");
        long[] out = new long[tensor.shape().size()];
        if (out.length > 0) {
            Pointer p = pointer(tensor);
            CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            CudaFailure.cuda(JCuda.cudaMemcpy(Pointer.to(out), p, (long) out.length * Sizeof.LONG,
                    cudaMemcpyKind.cudaMemcpyDeviceToHost), "cudaMemcpy device to host (INT64)");
        }
        return out;
    }

    private static void requireDType(Tensor t, DType dtype, String what) {
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(what + " needs a " + dtype + " tensor, got " + t);
        }
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

    /** Runs work on a lent context (handle + stream) and returns once the device finished it. */
    <T> T run(Function<StreamContext, T> work) {
        return contexts.run(work);
    }

    /** Runs work on a lent context, for calls that return nothing. */
    void exec(Consumer<StreamContext> work) {
        contexts.run(ctx -> {
            work.accept(ctx);
            return null;
        });
    }

    Descriptors descriptors() {
        return descriptors;
    }

    Convolutions convolutions() {
        return convolutions;
    }

    Kernels kernels() {
        return kernels;
    }

    DeviceAllocator allocator() {
        return allocator;
    }

    /** The device's +inf scalar (the ReLU gradient's NaN mask operand). */
    Pointer positiveInfinity() {
        return positiveInfinity.pointer;
    }

    /** cuBLAS for this backend, or null with the reason in {@link CublasLibrary#problem()}. */
    Cublas cublas() {
        return cublas;
    }

    /** Nothing to wait for: every call of this backend returns only after its stream finished. */
    @Override
    public void synchronize() {
        // deliberately empty: see the class comment (calls wait for their own stream)
    }

    /** Allocator statistics, for the leak and steady-state checks. */
    public long mallocCalls() {
        return allocator.mallocCalls();
    }

    public long cachedBytes() {
        return allocator.cachedBytes();
    }

    public long liveBytes() {
        return allocator.liveBytes();
    }

    /** Frees the cached (unused) device blocks; live tensors are untouched. */
    public void emptyCache() {
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        allocator.emptyCache();
    }

    /** cudaMemGetInfo of this device: {free, total} bytes. */
    public long[] memoryInfo() {
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        long[] free = new long[1];
        long[] total = new long[1];
        CudaFailure.cuda(JCuda.cudaMemGetInfo(free, total), "cudaMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    /** Handles/streams created so far (the most calls that ran at once). */
    public int contextCount() {
        return contexts.size();
    }

    private Tensor newTensor(Shape shape, DType dtype) {
        long bytes = (long) shape.size() * dtype.bytes();
        DeviceAllocator.Block b = allocator.allocate(bytes);
        return Tensors.wrap(this, shape, dtype, new CudaStorage(this, allocator, b, memory, bytes));
    }

    /** The device pointer of a tensor of this backend; anything else never reaches native code. */
    Pointer pointer(Tensor t) {
        if (t.backend() != this) {
            throw new IllegalArgumentException("tensor " + t + " is not on " + name + "; move it with upload first");
        }
        TensorStorage s = Tensors.storage(t);
        if (!(s instanceof CudaStorage) || ((CudaStorage) s).owner() != this) {
            throw new IllegalArgumentException("tensor " + t + " is not on " + name + "; move it with upload first");
        }
        return ((CudaStorage) s).pointer();
    }

    /** The device pointer of a nullable tensor (null stays null). */
    Pointer pointerOrNull(Tensor t) {
        return t == null ? null : pointer(t);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {cublas, contexts, descriptors, allocator}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            } catch (Exception e) {
                first = first == null ? new IllegalStateException(e) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return name + " " + settings;
    }
}
