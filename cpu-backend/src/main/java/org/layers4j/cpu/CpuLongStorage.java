package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.TensorStorage;
import org.layers4j.spi.Tensors;

/**
 * Host memory of an INT64 CPU tensor (indices, counters): one contiguous row-major {@code long[]}. These
 * tensors are small and rare, so they are not pooled; release only drops the reference so that a stale
 * handle cannot reach the memory.
 */
final class CpuLongStorage implements TensorStorage {
    private volatile long[] data;

    CpuLongStorage(long[] data) {
        this.data = data;
    }

    long[] data() {
        long[] d = data;
        if (d == null) {
            throw new IllegalStateException("CPU tensor storage has been released");
        }
        return d;
    }

    @Override
    public void release() {
        data = null;
    }

    /** The array behind an INT64 CPU tensor; core has checked the backend and the dtype. */
    static long[] of(Tensor t) {
        return ((CpuLongStorage) Tensors.storage(t)).data();
    }
}
