package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Function;
import jcuda.runtime.JCuda;

/**
 * Lends {@link StreamContext}s to calls: a call takes an idle context (or creates one), queues its
 * work on that context's stream, waits for it, and gives the context back. This is the
 * "handle and stream per thread" design without thread-locals: concurrent calls never share a
 * handle, and contexts outlive no backend ({@link #close()} destroys them all).
 */
final class ContextPool implements AutoCloseable {
    private final int device;
    private final DeviceAllocator allocator;
    private final ConcurrentLinkedDeque<StreamContext> idle = new ConcurrentLinkedDeque<>();
    private final List<StreamContext> all = new ArrayList<>();
    private volatile boolean closed;

    ContextPool(int device, DeviceAllocator allocator) {
        this.device = device;
        this.allocator = allocator;
    }

    /** Runs {@code work} on a lent context and returns once the device finished it. */
    <T> T run(Function<StreamContext, T> work) {
        if (closed) {
            throw new IllegalStateException("the CUDA backend on device " + device + " is closed");
        }
        // the runtime's current device is per thread; callers may be any thread
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        StreamContext ctx = idle.pollFirst();
        if (ctx == null) {
            ctx = new StreamContext(device, allocator);
            synchronized (all) {
                all.add(ctx);
            }
        }
        try {
            T result;
            try {
                result = work.apply(ctx);
            } catch (RuntimeException e) {
                try {
                    ctx.finish();
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            ctx.finish();
            return result;
        } finally {
            idle.addFirst(ctx);
        }
    }

    /** How many contexts exist (the most calls that ever ran at once). */
    int size() {
        synchronized (all) {
            return all.size();
        }
    }

    @Override
    public void close() {
        closed = true;
        RuntimeException first = null;
        synchronized (all) {
            for (StreamContext c : all) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
            all.clear();
            idle.clear();
        }
        if (first != null) {
            throw first;
        }
    }
}
