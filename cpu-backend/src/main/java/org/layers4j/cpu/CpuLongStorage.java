package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.TensorStorage;
import org.layers4j.spi.Tensors;

/**
 * Host memory of an INT64 CPU tensor (indices, counters): one contiguous row-major {@code long[]}. These
 * tensors are small and rare, so they are not pooled; release only drops the reference so that a stale
 * handle cannot reach the memory. The array's bytes count in the backend's {@link MemoryStats} until then.
 */
final class CpuLongStorage implements TensorStorage {
    private volatile long[] data;
    private final MemoryStats memory;

    CpuLongStorage(long[] data, MemoryStats memory) {
        this.data = data;
        this.memory = memory;
        memory.allocated((long) data.length * Long.BYTES);
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
        long[] d = data;
        data = null;
        if (d != null) {
            memory.released((long) d.length * Long.BYTES);
        }
    }

    /** The array behind an INT64 CPU tensor; core has checked the backend and the dtype. */
    static long[] of(Tensor t) {
        return ((CpuLongStorage) Tensors.storage(t)).data();
    }
}
