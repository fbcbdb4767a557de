package org.layers4j.cuda;

import jcuda.Pointer;
import org.layers4j.spi.TensorStorage;

/**
 * A tensor's device memory: one block of the backend's caching allocator. Releasing it (from
 * {@code Tensor.close()} or the Cleaner) hands the block back to the cache; it holds no reference to
 * the tensor, as the Cleaner requires.
 */
final class CudaStorage implements TensorStorage {
    private final DeviceAllocator allocator;
    private final DeviceAllocator.Block block;
    private final CudnnBackend owner;

    CudaStorage(CudnnBackend owner, DeviceAllocator allocator, DeviceAllocator.Block block) {
        this.owner = owner;
        this.allocator = allocator;
        this.block = block;
    }

    Pointer pointer() {
        return block.pointer;
    }

    CudnnBackend owner() {
        return owner;
    }

    @Override
    public void release() {
        allocator.free(block);
    }
}
