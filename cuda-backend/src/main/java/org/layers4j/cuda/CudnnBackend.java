package org.layers4j.cuda;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import jcuda.runtime.cudaStream_t;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.cuda.AlgoKey.Direction;
import org.layers4j.spi.Backend;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;

/**
 * The {@link Backend} on one CUDA device through cuDNN's descriptor API. Tensors live in device
 * memory from a {@link DeviceAllocator caching allocator} and stay there between layers; only
 * {@link #upload} and {@link #download} cross to the host. Each call borrows a cuDNN handle and
 * stream from a {@link ContextPool} (so threads never share one), queues its work, and waits for it
 * before returning, which is what lets any thread free or reuse any block afterwards. Descriptors
 * and algorithm rankings are created once per geometry and reused.
 */
public final class CudnnBackend implements Backend {
    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});

    private final int device;
    private final String name;
    private final CudaSettings settings;
    private final DeviceAllocator allocator;
    private final ContextPool contexts;
    private final Descriptors descriptors;
    private final Convolutions convolutions;
    /** One float +inf on the device: the other operand of the ReLU gradient's NaN mask. */
    private final DeviceAllocator.Block positiveInfinity;

    CudnnBackend(int device, CudaSettings settings) {
        this.device = device;
        this.name = "cuda:" + device;
        this.settings = settings;
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        this.allocator = new DeviceAllocator(device);
        this.contexts = new ContextPool(device, allocator);
        this.descriptors = new Descriptors(settings.mathType());
        this.convolutions = new Convolutions(device, settings, descriptors, allocator);
        this.positiveInfinity = allocator.allocate(Sizeof.FLOAT);
        CudaFailure.cuda(JCuda.cudaMemcpy(positiveInfinity.pointer, Pointer.to(new float[] {Float.POSITIVE_INFINITY}),
                Sizeof.FLOAT, cudaMemcpyKind.cudaMemcpyHostToDevice), "cudaMemcpy host to device");
        CudaFailure.cuda(JCuda.cudaStreamSynchronize(new cudaStream_t()), "cudaStreamSynchronize");
        // fail now, not at the first layer, if this device cannot run cuDNN
        contexts.run(ctx -> null);
    }

    @Override
    public String name() {
        return name;
    }

    public int device() {
        return device;
    }

    public CudaSettings settings() {
        return settings;
    }

    @Override
    public Tensor allocate(Shape shape) {
        Tensor t = newTensor(shape);
        long bytes = (long) shape.size() * Sizeof.FLOAT;
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
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("upload of " + data.length + " values into shape " + shape.dimsString()
                    + " (" + shape.size() + " values)");
        }
        Tensor t = newTensor(shape);
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
    public float[] download(Tensor tensor) {
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
    public void convolutionForward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        Pointer px = pointer(x);
        Pointer pw = pointer(w);
        Pointer py = pointer(y);
        contexts.run(ctx -> convolutions.run(ctx, Direction.FORWARD, g, px, pw, py));
    }

    @Override
    public void convolutionBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        Pointer pdy = pointer(dy);
        Pointer pw = pointer(w);
        Pointer pdx = pointer(dx);
        contexts.run(ctx -> convolutions.run(ctx, Direction.BACKWARD_DATA, g, pdy, pw, pdx));
    }

    @Override
    public void convolutionBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        Pointer px = pointer(x);
        Pointer pdy = pointer(dy);
        Pointer pdw = pointer(dw);
        contexts.run(ctx -> convolutions.run(ctx, Direction.BACKWARD_FILTER, g, px, pdy, pdw));
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        TensorLayout yl = TensorLayout.nchw(y.shape());
        cudnnTensorDescriptor yd = descriptors.tensor(yl);
        cudnnTensorDescriptor bd = descriptors.tensor(TensorLayout.contiguous(1, yl.dim(1), 1, 1));
        Pointer py = pointer(y);
        Pointer pb = pointer(bias);
        contexts.run(ctx -> {
            CudaFailure.cudnn(JCudnn.cudnnAddTensor(ctx.handle, ONE, bd, pb, ONE, yd, py), "cudnnAddTensor (bias)");
            return null;
        });
    }

    @Override
    public void biasGradient(Tensor dy, Tensor db) {
        TensorLayout yl = TensorLayout.nchw(dy.shape());
        cudnnTensorDescriptor yd = descriptors.tensor(yl);
        cudnnTensorDescriptor bd = descriptors.tensor(TensorLayout.contiguous(1, yl.dim(1), 1, 1));
        Pointer pdy = pointer(dy);
        Pointer pdb = pointer(db);
        contexts.run(ctx -> {
            CudaFailure.cudnn(JCudnn.cudnnConvolutionBackwardBias(ctx.handle, ONE, yd, pdy, ZERO, bd, pdb),
                    "cudnnConvolutionBackwardBias");
            return null;
        });
    }

    @Override
    public void reluForward(Tensor x, Tensor y) {
        if (x.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = descriptors.tensor(TensorLayout.nchw(x.shape()));
        Pointer px = pointer(x);
        Pointer py = pointer(y);
        contexts.run(ctx -> {
            CudaFailure.cudnn(JCudnn.cudnnActivationForward(ctx.handle, descriptors.relu(), ONE, d, px, ZERO, d, py),
                    "cudnnActivationForward (ReLU)");
            return null;
        });
    }

    /**
     * PyTorch's ReLU gradient passes dy wherever x is not <= 0, NaN included; cuDNN's passes it only
     * where its y operand is > 0. So y is built as m = min(x, +inf) with NaN not propagated — m is x,
     * except NaN becomes +inf — and m serves as both x and y of cudnnActivationBackward: the gradient is
     * dy where x > 0 or x is NaN, and 0 at exactly ±0, as in PyTorch and the CPU backend.
     */
    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        if (x.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = descriptors.tensor(TensorLayout.nchw(x.shape()));
        cudnnTensorDescriptor scalar = descriptors.tensor(TensorLayout.contiguous(1, 1, 1, 1));
        Pointer px = pointer(x);
        Pointer pdy = pointer(dy);
        Pointer pdx = pointer(dx);
        long bytes = (long) x.shape().size() * Sizeof.FLOAT;
        contexts.run(ctx -> {
            Pointer m = ctx.scratch(bytes).pointer;
            CudaFailure.cudnn(JCudnn.cudnnOpTensor(ctx.handle, descriptors.minIgnoringNan(), ONE, d, px, ONE, scalar,
                    positiveInfinity.pointer, ZERO, d, m), "cudnnOpTensor (ReLU gradient mask)");
            CudaFailure.cudnn(JCudnn.cudnnActivationBackward(ctx.handle, descriptors.relu(), ONE, d, m, d, pdy, d, m,
                    ZERO, d, pdx), "cudnnActivationBackward (ReLU)");
            return null;
        });
    }

    @Override
    public void pad(PaddingPlan plan, Tensor x, Tensor padded) {
        Shape s = x.shape();
        PadProgram program = PadProgram.forward(plan, s.dim(0), s.dim(1), s.dim(2), s.dim(3));
        runPad(program, pointer(x), pointer(padded), plan.paddedShape(s));
    }

    @Override
    public void padBackward(PaddingPlan plan, Tensor dPadded, Tensor dx) {
        Shape s = dx.shape();
        PadProgram program = PadProgram.backward(plan, s.dim(0), s.dim(1), s.dim(2), s.dim(3));
        runPad(program, pointer(dPadded), pointer(dx), plan.paddedShape(s));
    }

    private void runPad(PadProgram program, Pointer input, Pointer output, Shape paddedShape) {
        contexts.run(ctx -> {
            Pointer scratch = program.needsScratch() ? ctx.scratch((long) paddedShape.size() * Sizeof.FLOAT).pointer
                    : null;
            for (PadProgram.Op op : program.ops()) {
                Pointer dst = at(op.dst(), input, output, scratch);
                cudnnTensorDescriptor dd = descriptors.tensor(op.dst().layout());
                switch (op.kind()) {
                    case ZERO:
                        CudaFailure.cudnn(JCudnn.cudnnSetTensor(ctx.handle, dd, dst, ZERO), "cudnnSetTensor (zero border)");
                        break;
                    case COPY:
                        CudaFailure.cudnn(JCudnn.cudnnTransformTensor(ctx.handle, ONE, descriptors.tensor(op.src().layout()),
                                at(op.src(), input, output, scratch), ZERO, dd, dst), "cudnnTransformTensor (pad copy)");
                        break;
                    default:
                        // y = 1 * x + 1 * y: cudnnTransformTensor's contract is exactly "same dims, any strides",
                        // where cudnnAddTensor is specified for broadcasting a bias
                        CudaFailure.cudnn(JCudnn.cudnnTransformTensor(ctx.handle, ONE,
                                descriptors.tensor(op.src().layout()), at(op.src(), input, output, scratch), ONE, dd,
                                dst), "cudnnTransformTensor (pad gradient accumulation)");
                }
            }
            return null;
        });
    }

    private static Pointer at(PadProgram.View v, Pointer input, Pointer output, Pointer scratch) {
        Pointer base = v.buffer() == PadProgram.Buffer.INPUT ? input
                : v.buffer() == PadProgram.Buffer.OUTPUT ? output : scratch;
        return v.offset() == 0 ? base : base.withByteOffset(v.offset() * Sizeof.FLOAT);
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

    private Tensor newTensor(Shape shape) {
        DeviceAllocator.Block b = allocator.allocate((long) shape.size() * Sizeof.FLOAT);
        return Tensor.wrap(this, shape, new CudaStorage(this, allocator, b));
    }

    /** The device pointer of a tensor of this backend; anything else never reaches native code. */
    private Pointer pointer(Tensor t) {
        if (t.backend() != this || !(t.storage() instanceof CudaStorage) || ((CudaStorage) t.storage()).owner() != this) {
            throw new IllegalArgumentException("tensor " + t + " is not on " + name + "; move it with upload first");
        }
        return ((CudaStorage) t.storage()).pointer();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {contexts, descriptors, allocator}) {
            try {
                c.close();
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
