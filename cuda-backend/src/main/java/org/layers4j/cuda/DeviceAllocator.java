package org.layers4j.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.Pointer;
import jcuda.runtime.JCuda;

/**
 * A caching device-memory allocator, as PyTorch's: freed blocks go to a free list per rounded size
 * and the next request of that size takes one back, so a steady-state forward makes no cudaMalloc.
 * Every backend call synchronizes its stream before it returns, so a freed block has no pending
 * work and any thread may reuse it at once. When cudaMalloc runs out of memory the cache is
 * emptied and the request retried once; a second failure is an out-of-memory {@link CudaFailure}.
 * {@link #close()} frees every block, cached or still owned by a tensor.
 */
final class DeviceAllocator implements AutoCloseable {
    private static final long SMALL = 1L << 20;
    private static final long SMALL_ROUND = 512;
    private static final long LARGE_ROUND = 1L << 20;

    /** One cudaMalloc'ed block; {@code bytes} is the rounded size, the free-list key. */
    static final class Block {
        final Pointer pointer;
        final long bytes;

        Block(Pointer pointer, long bytes) {
            this.pointer = pointer;
            this.bytes = bytes;
        }
    }

    private final int device;
    private final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
    private final Map<Block, Boolean> live = new IdentityHashMap<>();
    private final AtomicLong mallocCalls = new AtomicLong();
    private long cachedBytes;
    private long liveBytes;
    private boolean closed;

    DeviceAllocator(int device) {
        this.device = device;
    }

    /** The size class of a request: 512-byte steps up to 1 MiB, 1 MiB steps above. */
    static long roundUp(long bytes) {
        long b = Math.max(bytes, 1);
        long step = b <= SMALL ? SMALL_ROUND : LARGE_ROUND;
        return (b + step - 1) / step * step;
    }

    /** A block of at least {@code bytes}; the calling thread must have this allocator's device current. */
    Block allocate(long bytes) {
        long size = roundUp(bytes);
        synchronized (this) {
            requireOpen();
            ArrayDeque<Block> list = free.get(size);
            Block b = list == null ? null : list.pollLast();
            if (b != null) {
                cachedBytes -= size;
                liveBytes += size;
                live.put(b, Boolean.TRUE);
                return b;
            }
        }
        Pointer p = new Pointer();
        int err = JCuda.cudaMalloc(p, size);
        if (err == CudaFailure.CUDA_ERROR_MEMORY_ALLOCATION) {
            emptyCache();
            p = new Pointer();
            err = JCuda.cudaMalloc(p, size);
        }
        CudaFailure.cuda(err, "cudaMalloc(" + size + " bytes) on device " + device);
        mallocCalls.incrementAndGet();
        Block b = new Block(p, size);
        synchronized (this) {
            if (closed) {
                JCuda.cudaFree(p);
                requireOpen();
            }
            liveBytes += size;
            live.put(b, Boolean.TRUE);
        }
        return b;
    }

    /** Returns a block to the cache; a no-op once closed (close freed it). May run on any thread. */
    synchronized void free(Block b) {
        if (closed || live.remove(b) == null) {
            return;
        }
        liveBytes -= b.bytes;
        cachedBytes += b.bytes;
        free.computeIfAbsent(b.bytes, k -> new ArrayDeque<>()).addLast(b);
    }

    /** Frees a block at once instead of caching it (large one-off scratch, e.g. benchmark workspaces). */
    void discard(Block b) {
        synchronized (this) {
            if (closed || live.remove(b) == null) {
                return;
            }
            liveBytes -= b.bytes;
        }
        CudaFailure.cuda(JCuda.cudaFree(b.pointer), "cudaFree");
    }

    /** cudaFree of every cached block; the calling thread must have the device current. */
    void emptyCache() {
        List<Block> toFree = new ArrayList<>();
        synchronized (this) {
            free.values().forEach(toFree::addAll);
            free.clear();
            cachedBytes = 0;
        }
        for (Block b : toFree) {
            CudaFailure.cuda(JCuda.cudaFree(b.pointer), "cudaFree");
        }
    }

    /** How many times cudaMalloc ran (a steady state adds none). */
    long mallocCalls() {
        return mallocCalls.get();
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    synchronized long liveBytes() {
        return liveBytes;
    }

    @Override
    public void close() {
        List<Block> toFree = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            free.values().forEach(toFree::addAll);
            free.clear();
            toFree.addAll(live.keySet());
            live.clear();
            cachedBytes = 0;
            liveBytes = 0;
        }
        CudaFailure.cuda(JCuda.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
        for (Block b : toFree) {
            CudaFailure.cuda(JCuda.cudaFree(b.pointer), "cudaFree");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA backend on device " + device + " is closed");
        }
    }
}
