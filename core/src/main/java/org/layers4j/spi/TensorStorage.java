package org.layers4j.spi;

/**
 * A backend's memory behind a {@link org.layers4j.Tensor}: a host array, a device allocation.
 * {@link #release()} frees it and is called at most once, either by {@code Tensor.close()} or by
 * the tensor's Cleaner when it became unreachable; it must therefore not refer back to the tensor.
 */
public interface TensorStorage {
    /** Frees the memory. Called at most once; may run on the Cleaner thread. */
    void release();
}
