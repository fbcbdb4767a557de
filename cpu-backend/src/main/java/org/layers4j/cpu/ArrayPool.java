package org.layers4j.cpu;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recycles the arrays of closed tensors for the next allocation of the same size. A layer allocates its
 * output on every call; at the suite's sizes (1–26 MiB) each such array is a G1 "humongous" allocation,
 * which takes the slow allocation path and starts a GC cycle every few dozen calls. Reusing them turns that
 * into a zero fill, which the backend spreads over its threads.
 *
 * <p>Bounded by {@code layers4j.cpu.poolBytes} (only arrays of at least 64 KiB are pooled) and given back
 * under memory pressure: pooled arrays are held through {@link SoftReference}s, which the JVM clears before
 * it throws an OutOfMemoryError, and {@link #clear()} drops them all (the backend calls it and retries when
 * an allocation fails anyway). Safe to feed from the Cleaner thread, and emptied when the backend closes.
 */
final class ArrayPool {
    /** Arrays smaller than this (in floats) are left to the allocator, which is fast for them. */
    static final int MIN_POOLED = 16 * 1024;

    /** A pooled array, counted in {@link #pooledFloats} until it is taken or found cleared (once). */
    private static final class Entry extends SoftReference<float[]> {
        final int length;
        private final AtomicBoolean counted = new AtomicBoolean(true);

        Entry(float[] a, ReferenceQueue<float[]> q) {
            super(a, q);
            this.length = a.length;
        }

        boolean uncount() {
            return counted.compareAndSet(true, false);
        }
    }

    private final ConcurrentHashMap<Integer, ConcurrentLinkedDeque<Entry>> free = new ConcurrentHashMap<>();
    private final ReferenceQueue<float[]> cleared = new ReferenceQueue<>();
    private final AtomicLong pooledFloats = new AtomicLong();
    private final long maxFloats;
    private volatile boolean closed;

    ArrayPool(long maxFloats) {
        if (maxFloats < 0) {
            throw new IllegalArgumentException("pool bound must be >= 0, got " + maxFloats + " floats");
        }
        this.maxFloats = maxFloats;
    }

    /** The most floats this pool holds. */
    long maxFloats() {
        return maxFloats;
    }

    /** The floats held now (arrays the GC cleared may still be counted until the pool notices). */
    long pooledFloats() {
        return pooledFloats.get();
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
        drainCleared();
        ConcurrentLinkedDeque<Entry> q = free.get(size);
        if (q == null) {
            return null;
        }
        for (Entry e = q.pollFirst(); e != null; e = q.pollFirst()) {
            float[] a = e.get();
            e.clear();
            if (e.uncount()) {
                pooledFloats.addAndGet(-e.length);
            }
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    /** Takes back the array of a released tensor (dropped when the pool is full or closed). */
    void give(float[] a) {
        if (closed || a.length < MIN_POOLED || a.length > maxFloats) {
            return;
        }
        drainCleared();
        if (pooledFloats.addAndGet(a.length) > maxFloats) {
            pooledFloats.addAndGet(-a.length);
            return;
        }
        free.computeIfAbsent(a.length, k -> new ConcurrentLinkedDeque<>()).offerFirst(new Entry(a, cleared));
    }

    /** Forgets the arrays the GC reclaimed under memory pressure. */
    private void drainCleared() {
        for (java.lang.ref.Reference<? extends float[]> r = cleared.poll(); r != null; r = cleared.poll()) {
            Entry e = (Entry) r;
            if (e.uncount()) {
                pooledFloats.addAndGet(-e.length);
                ConcurrentLinkedDeque<Entry> q = free.get(e.length);
                if (q != null) {
                    q.remove(e);
                }
            }
        }
    }

    /** Drops every pooled array (an allocation failed, or the backend closes). */
    void clear() {
        for (ConcurrentLinkedDeque<Entry> q : free.values()) {
            for (Entry e = q.pollFirst(); e != null; e = q.pollFirst()) {
                e.clear();
                if (e.uncount()) {
                    pooledFloats.addAndGet(-e.length);
                }
            }
        }
        drainCleared();
    }

    void close() {
        closed = true;
        clear();
        free.clear();
    }
}
