package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaStream_t;

/**
 * One cuDNN handle with its own non-blocking stream set on it, plus the scratch blocks of the call
 * that holds it. A handle must not be used by two threads at once, so the backend lends each call
 * one context from a pool (see {@link ContextPool}): at most as many contexts exist as calls ever
 * ran at the same time, and none is tied to a thread that may die without freeing it.
 */
final class StreamContext implements AutoCloseable {
    final cudnnHandle handle = new cudnnHandle();
    final cudaStream_t stream = new cudaStream_t();
    private final DeviceAllocator allocator;
    private final List<DeviceAllocator.Block> scratch = new ArrayList<>();

    StreamContext(int device, DeviceAllocator allocator) {
        this.allocator = allocator;
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        CudaFailure.cuda(JCuda.cudaStreamCreateWithFlags(stream, jcuda.runtime.JCuda.cudaStreamNonBlocking),
                "cudaStreamCreateWithFlags");
        try {
            CudaFailure.cudnn(JCudnn.cudnnCreate(handle), "cudnnCreate");
        } catch (RuntimeException e) {
            JCuda.cudaStreamDestroy(stream);
            throw e;
        }
        int status = JCudnn.cudnnSetStream(handle, stream);
        if (status != 0) {
            JCudnn.cudnnDestroy(handle);
            JCuda.cudaStreamDestroy(stream);
            CudaFailure.cudnn(status, "cudnnSetStream");
        }
    }

    /** A scratch block that lives until this call's work is done (freed by {@link #finish}). */
    DeviceAllocator.Block scratch(long bytes) {
        DeviceAllocator.Block b = allocator.allocate(bytes);
        scratch.add(b);
        return b;
    }

    /** Gives a scratch block back early (after a failed attempt; nothing was queued on it). */
    void dropScratch(DeviceAllocator.Block b) {
        if (scratch.remove(b)) {
            allocator.free(b);
        }
    }

    /** Waits for the stream, then returns the scratch blocks: nothing queued can touch them any more. */
    void finish() {
        try {
            CudaFailure.cuda(JCuda.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        } finally {
            for (DeviceAllocator.Block b : scratch) {
                allocator.free(b);
            }
            scratch.clear();
        }
    }

    @Override
    public void close() {
        int s = JCudnn.cudnnDestroy(handle);
        int e = JCuda.cudaStreamDestroy(stream);
        CudaFailure.cudnn(s, "cudnnDestroy");
        CudaFailure.cuda(e, "cudaStreamDestroy");
    }
}
