package org.layers4j.cpu;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles the arrays of closed tensors for the next allocation of the same size. A layer allocates its
 * output on every call; at the suite's sizes (1–26 MiB) each such array is a G1 "humongous" allocation,
 * which takes the slow allocation path and starts a GC cycle every few dozen calls. Reusing them turns that
 * into a zero fill, which the backend spreads over its threads. Bounded (by default 128 MiB of pooled arrays, only arrays of at least 64 KiB), safe to
 * feed from the Cleaner thread, and emptied when the backend closes.
 */
final class ArrayPool {
    /** Arrays smaller than this (in floats) are left to the allocator, which is fast for them. */
    static final int MIN_POOLED = 16 * 1024;

    private final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<float[]>> free = new ConcurrentHashMap<>();
    private final AtomicLong pooledFloats = new AtomicLong();
    private final long maxFloats;
    private volatile boolean closed;

    ArrayPool(long maxFloats) {
        this.maxFloats = maxFloats;
    }

    /** A recycled array of exactly {@code size} floats with undefined contents, or null when none is free. */
    float[] recycled(int size) {
        return poll(size);
    }

    /** An array of exactly {@code size} floats with undefined contents, for callers that overwrite it all. */
    float[] uninitialized(int size) {
        float[] a = poll(size);
        return a != null ? a : new float[size];
    }

    private float[] poll(int size) {
        if (size < MIN_POOLED) {
            return null;
        }
        ConcurrentLinkedDeque<float[]> q = free.get(size);
        float[] a = q == null ? null : q.pollFirst();
        if (a != null) {
            pooledFloats.addAndGet(-a.length);
        }
        return a;
    }

    /** Takes back the array of a released tensor (dropped when the pool is full or closed). */
    void give(float[] a) {
        if (closed || a.length < MIN_POOLED) {
            return;
        }
        if (pooledFloats.addAndGet(a.length) > maxFloats) {
            pooledFloats.addAndGet(-a.length);
            return;
        }
        free.computeIfAbsent(a.length, k -> new ConcurrentLinkedDeque<>()).offerFirst(a);
    }

    void close() {
        closed = true;
        free.clear();
        pooledFloats.set(0);
    }
}
