package org.layers4j.cpu;

import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.layers4j.Tensor;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.TensorStorage;
import org.layers4j.spi.Tensors;

/**
 * Host memory of a CPU tensor: one contiguous row-major {@code float[]}. Release drops the reference (so a
 * stale view object cannot reach the memory) and hands the array back to the backend's {@link ArrayPool};
 * the Cleaner may call it from its own thread, hence the volatile fields.
 *
 * <p>A tensor allocated on a recycled array must read as zeros, but most such tensors are outputs that the
 * next operation overwrites in full. So the zero fill is deferred: {@link #of} (any read or in-place
 * update) performs it first, {@link #overwrite} (an operation that writes every element) skips it.
 *
 * <p>A new tensor of zeros that no recycled array serves gets its array at first use ({@link #lazy}): a layer built
 * only to have its parameters replaced at once (a model file's load) never allocates them.
 *
 * <p>The array's bytes count in the backend's {@link MemoryStats} from creation to release (a recycled array
 * counts again when a new storage takes it, as it left the account when its previous storage was released).
 */
class CpuStorage implements TensorStorage {
    private volatile float[] data;
    /** Creates the array of a {@link #lazy} storage at first use; null once created, and for every other storage. */
    private volatile IntFunction<float[]> allocator;
    /** The floats of the array (0 for a subclass that manages its own). */
    private final int size;
    private final ArrayPool pool;
    private final Consumer<float[]> zeroer;
    private final MemoryStats memory;
    private volatile boolean pendingZero;

    /** Storage over {@code data}; with a non-null {@code zeroer} the array still has to be zeroed before use. */
    CpuStorage(float[] data, ArrayPool pool, Consumer<float[]> zeroer, MemoryStats memory) {
        this(data, null, data.length, pool, zeroer, memory);
    }

    /**
     * For a subclass that manages its own arrays (it overrides {@link #data}, {@link #dataForOverwrite} and
     * {@link #release}): no array here, nothing counted here.
     */
    CpuStorage(MemoryStats memory) {
        this(null, null, 0, null, null, memory);
    }

    private CpuStorage(float[] data, IntFunction<float[]> allocator, int size, ArrayPool pool, Consumer<float[]> zeroer,
                       MemoryStats memory) {
        this.data = data;
        this.allocator = allocator;
        this.size = size;
        this.pool = pool;
        this.zeroer = zeroer;
        this.pendingZero = zeroer != null;
        this.memory = memory;
        memory.allocated((long) size * Float.BYTES);
    }

    /**
     * Storage of {@code size} zeros whose array {@code allocator} creates (zeroed) at first use; counted in the
     * backend's memory from now, as an allocated one.
     */
    static CpuStorage lazy(int size, IntFunction<float[]> allocator, ArrayPool pool, MemoryStats memory) {
        return new CpuStorage(null, java.util.Objects.requireNonNull(allocator, "allocator"), size, pool, null, memory);
    }

    private float[] live() {
        float[] d = data;
        return d != null ? d : created();
    }

    /** The array of a lazy storage, created now on its first use. */
    private synchronized float[] created() {
        float[] d = data;
        if (d == null) {
            IntFunction<float[]> a = allocator;
            if (a == null) {
                throw new IllegalStateException("CPU tensor storage has been released");
            }
            d = a.apply(size);
            data = d;
            allocator = null;
        }
        return d;
    }

    float[] data() {
        float[] d = live();
        if (pendingZero) {
            synchronized (this) {
                if (pendingZero) {
                    zeroer.accept(d);
                    pendingZero = false;
                }
            }
        }
        return d;
    }

    /** The array for an operation that writes every element before reading any: the zero fill is dropped. */
    float[] dataForOverwrite() {
        float[] d = live();
        pendingZero = false;
        return d;
    }

    @Override
    public synchronized void release() {
        float[] d = data;
        boolean unused = allocator != null;
        data = null;
        allocator = null;
        if (d != null || unused) {
            memory.released((long) size * Float.BYTES);
            if (d != null && pool != null) {
                pool.give(d);
            }
        }
    }

    /** The array behind a CPU tensor, as zeros if it was never written; core has checked the backend. */
    static float[] of(Tensor t) {
        return ((CpuStorage) Tensors.storage(t)).data();
    }

    /** The array behind an output tensor that the calling operation writes in full. */
    static float[] overwrite(Tensor t) {
        return ((CpuStorage) Tensors.storage(t)).dataForOverwrite();
    }
}
