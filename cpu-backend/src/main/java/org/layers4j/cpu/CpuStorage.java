package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.TensorStorage;

/**
 * Host memory of a CPU tensor: one contiguous row-major {@code float[]}. Release only drops the
 * reference so that a closed tensor's memory can be collected even while a stale view object lingers;
 * the Cleaner may call it from its own thread, hence the volatile field.
 */
final class CpuStorage implements TensorStorage {
    private volatile float[] data;

    CpuStorage(float[] data) {
        this.data = data;
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
        data = null;
    }

    /** The array behind a CPU tensor; core has already checked that the tensor lives on this backend. */
    static float[] of(Tensor t) {
        return ((CpuStorage) t.storage()).data();
    }
}
