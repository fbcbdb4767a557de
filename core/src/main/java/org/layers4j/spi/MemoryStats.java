package org.layers4j.spi;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend's account of the memory held by its tensors (the storage behind each live tensor, counted once
 * however many views share it; not the backend's caches, pools of freed arrays or workspaces): the bytes
 * live now and the most live at once since the last {@link #resetPeak()}. Backends that keep this account
 * create one {@link #tracking()} instance, call {@link #allocated} when they create a tensor's storage and
 * {@link #released} when that storage is released, and return it from {@link Backend#memory()}; the
 * counters are atomic, so any thread (the Cleaner's included) may update them. A backend that does not
 * track its memory returns {@link #untracked()}, whose {@link #tracked()} is false and whose figures are 0.
 */
public final class MemoryStats {
    private static final MemoryStats UNTRACKED = new MemoryStats(false);

    private final boolean tracked;
    private final AtomicLong live = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();

    private MemoryStats(boolean tracked) {
        this.tracked = tracked;
    }

    /** A new account, at zero, for a backend that tracks its tensors' memory. */
    public static MemoryStats tracking() {
        return new MemoryStats(true);
    }

    /** The shared answer of a backend that does not track its memory. */
    public static MemoryStats untracked() {
        return UNTRACKED;
    }

    /** Whether the backend keeps this account; when false, every figure is 0. */
    public boolean tracked() {
        return tracked;
    }

    /** The bytes of tensor storage live now. */
    public long liveBytes() {
        return live.get();
    }

    /** The most bytes of tensor storage live at once since the account was created or {@link #resetPeak()}. */
    public long peakBytes() {
        return peak.get();
    }

    /** Starts a new peak from the bytes live now. */
    public void resetPeak() {
        if (tracked) {
            peak.set(live.get());
        }
    }

    /** For backends: {@code bytes} of tensor storage were created. */
    public void allocated(long bytes) {
        if (!tracked) {
            return;
        }
        long now = live.addAndGet(bytes);
        if (now > peak.get()) {
            peak.accumulateAndGet(now, Math::max);
        }
    }

    /** For backends: {@code bytes} of tensor storage were released. */
    public void released(long bytes) {
        if (tracked) {
            live.addAndGet(-bytes);
        }
    }

    @Override
    public String toString() {
        return tracked ? "MemoryStats[live=" + liveBytes() + " B, peak=" + peakBytes() + " B]" : "MemoryStats[not tracked]";
    }
}
