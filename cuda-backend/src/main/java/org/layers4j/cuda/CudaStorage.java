package org.layers4j.cuda;

import jcuda.Pointer;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.TensorStorage;

/**
 * A tensor's device memory: one block of the backend's caching allocator. Releasing it (from
 * {@code Tensor.close()} or the Cleaner) hands the block back to the cache; it holds no reference to
 * the tensor, as the Cleaner requires. The tensor's bytes (as its shape and dtype need them, not the block's
 * rounded size) count in the backend's {@link MemoryStats} from creation to release.
 */
final class CudaStorage implements TensorStorage {
    private final DeviceAllocator allocator;
    private final DeviceAllocator.Block block;
    private final CudnnBackend owner;
    private final MemoryStats memory;
    private final long bytes;

    CudaStorage(CudnnBackend owner, DeviceAllocator allocator, DeviceAllocator.Block block, MemoryStats memory, long bytes) {
        this.owner = owner;
        this.allocator = allocator;
        this.block = block;
        this.memory = memory;
        this.bytes = bytes;
        memory.allocated(bytes);
    }

    Pointer pointer() {
        return block.pointer;
    }

    CudnnBackend owner() {
        return owner;
    }

    @Override
    public void release() {
        memory.released(bytes);
        allocator.free(block);
    }
}
