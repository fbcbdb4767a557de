package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.TensorStorage;

/**
 * Host memory of a CPU tensor: one contiguous row-major {@code float[]}. Release drops the reference (so a
 * stale view object cannot reach the memory) and hands the array back to the backend's {@link ArrayPool};
 * the Cleaner may call it from its own thread, hence the volatile field.
 */
final class CpuStorage implements TensorStorage {
    private volatile float[] data;
    private final ArrayPool pool;

    CpuStorage(float[] data, ArrayPool pool) {
        this.data = data;
        this.pool = pool;
    }

    float[] data() {
        float[] d = data;
        if (d == null) {
            throw new IllegalStateException("CPU tensor storage has been released");
        }
        return d;
    }

    @Override
    public void release() {
        float[] d = data;
        data = null;
        if (d != null && pool != null) {
            pool.give(d);
        }
    }

    /** The array behind a CPU tensor; core has already checked that the tensor lives on this backend. */
    static float[] of(Tensor t) {
        return ((CpuStorage) t.storage()).data();
    }
}
