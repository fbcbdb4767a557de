package org.layers4j;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.layers4j.spi.Backend;
import org.layers4j.spi.TensorStorage;

/**
 * A float32 tensor, row-major (NCHW / NCL), whose memory is owned by a {@link Backend}: host memory
 * on the CPU backend, device memory on CUDA. {@link #close()} releases that memory at once; a
 * {@link Cleaner} releases it when an unclosed tensor becomes unreachable, as a safety net only.
 * A {@link #reshape(Shape) reshaped} view shares the memory and does not own it.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Backend backend;
    private final Shape shape;
    private final TensorStorage storage;
    private final Owner owner;
    private final Cleaner.Cleanable cleanable;
    /** A view keeps the owning tensor reachable, so the Cleaner cannot free memory a view still uses. */
    private final Tensor parent;

    /** Shared by a tensor and its views: whether the memory has been released. */
    private static final class Owner implements Runnable {
        private final TensorStorage storage;
        private final AtomicBoolean released = new AtomicBoolean();

        Owner(TensorStorage storage) {
            this.storage = storage;
        }

        @Override
        public void run() {
            if (released.compareAndSet(false, true)) {
                storage.release();
            }
        }
    }

    private Tensor(Backend backend, Shape shape, TensorStorage storage, Owner owner, Tensor parent) {
        this.backend = backend;
        this.shape = shape;
        this.storage = storage;
        this.owner = owner;
        this.parent = parent;
        this.cleanable = parent == null ? CLEANER.register(this, owner) : null;
    }

    /** For backends: wraps freshly allocated storage of {@code shape.size()} floats into an owning tensor. */
    public static Tensor wrap(Backend backend, Shape shape, TensorStorage storage) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(storage, "storage");
        return new Tensor(backend, shape, storage, new Owner(storage), null);
    }

    public Shape shape() {
        return shape;
    }

    public Backend backend() {
        return backend;
    }

    /** The backend's memory; for backends only. Throws when the tensor was closed. */
    public TensorStorage storage() {
        if (owner.released.get()) {
            throw new IllegalStateException("tensor " + shape.dimsString() + " on " + backend.name() + " is closed");
        }
        return storage;
    }

    public boolean isClosed() {
        return owner.released.get();
    }

    /** A view with another shape of the same number of elements, sharing this tensor's memory. */
    public Tensor reshape(Shape newShape) {
        Objects.requireNonNull(newShape, "shape");
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("shape " + newShape.dimsString() + " is invalid for input of size "
                    + shape.size() + " (shape " + shape.dimsString() + ")");
        }
        storage();
        return new Tensor(backend, newShape, storage, owner, parent != null ? parent : this);
    }

    /** Copies the values to a new host array (downloads from the device where needed). */
    public float[] toArray() {
        try {
            return backend.download(this);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Releases the memory (a no-op on a view and on a closed tensor). */
    @Override
    public void close() {
        if (cleanable != null) {
            cleanable.clean();
        }
    }

    @Override
    public String toString() {
        return "Tensor" + shape.dimsString() + "@" + backend.name();
    }
}
