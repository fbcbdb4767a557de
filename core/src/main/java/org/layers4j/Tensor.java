package org.layers4j;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.layers4j.spi.Backend;
import org.layers4j.spi.TensorStorage;
import org.layers4j.spi.Tensors;

/**
 * A tensor, row-major (NCHW / NCL), float32 or {@link DType#INT64 int64}, whose memory is owned by a
 * {@link Backend}: host memory on the CPU backend, device memory on CUDA.
 *
 * <p>A {@code Tensor} object is a handle on that memory; {@link #reshape} and {@link #share} give
 * further handles on the same memory. Each handle is closed once ({@link #close()}, idempotent); the
 * memory is released when the last handle is closed — or, as a safety net only, when unclosed handles
 * become unreachable (a {@link Cleaner}). So a view stays valid after the tensor it came from is
 * closed, and a layer's saved input for backward stays valid when the caller closes the input.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    static {
        Tensors.install(new Tensors.Access() {
            @Override
            public Tensor wrap(Backend backend, Shape shape, DType dtype, TensorStorage storage) {
                return new Tensor(backend, shape, dtype, new Memory(storage));
            }

            @Override
            public TensorStorage storage(Tensor tensor) {
                return tensor.liveStorage();
            }

            @Override
            public int handles(Tensor tensor) {
                return tensor.handle.memory.handles.get();
            }
        });
    }

    private final Backend backend;
    private final Shape shape;
    private final DType dtype;
    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    /** The memory all handles share, released when the last handle lets go. */
    private static final class Memory {
        private final TensorStorage storage;
        private final AtomicInteger handles = new AtomicInteger();
        private volatile boolean released;

        Memory(TensorStorage storage) {
            this.storage = storage;
        }

        void retain() {
            handles.incrementAndGet();
        }

        void let() {
            if (handles.decrementAndGet() == 0) {
                released = true;
                storage.release();
            }
        }
    }

    /** One handle's reference: released once, by close() or by the Cleaner. Must not refer to the Tensor. */
    private static final class Handle implements Runnable {
        private final Memory memory;
        private final AtomicBoolean closed = new AtomicBoolean();

        Handle(Memory memory) {
            this.memory = memory;
            memory.retain();
        }

        @Override
        public void run() {
            if (closed.compareAndSet(false, true)) {
                memory.let();
            }
        }
    }

    private Tensor(Backend backend, Shape shape, DType dtype, Memory memory) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.handle = new Handle(memory);
        this.cleanable = CLEANER.register(this, handle);
    }

    public Shape shape() {
        return shape;
    }

    public DType dtype() {
        return dtype;
    }

    public Backend backend() {
        return backend;
    }

    private TensorStorage liveStorage() {
        if (handle.closed.get() || handle.memory.released) {
            throw new IllegalStateException("tensor " + shape.dimsString() + " on " + backend.name() + " is closed");
        }
        return handle.memory.storage;
    }

    /** Whether this handle was closed (its memory may still be alive through other handles). */
    public boolean isClosed() {
        return handle.closed.get() || handle.memory.released;
    }

    /** A new handle with another shape of the same number of elements, sharing this tensor's memory. */
    public Tensor reshape(Shape newShape) {
        Objects.requireNonNull(newShape, "shape");
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("shape '" + newShape.dimsString() + "' is invalid for input of size "
                    + shape.size());
        }
        liveStorage();
        return new Tensor(backend, newShape, dtype, handle.memory);
    }

    /** A reshape view with the given dims. */
    public Tensor reshape(int... dims) {
        return reshape(Shape.of(dims));
    }

    /** A new handle on the same memory and shape: the memory lives until both are closed. */
    public Tensor share() {
        return reshape(shape);
    }

    /** Copies a float32 tensor's values to a new host array (downloads from the device where needed). */
    public float[] toArray() {
        if (dtype != DType.FLOAT32) {
            throw new IllegalStateException("tensor " + shape.dimsString() + " is " + dtype.torchName()
                    + "; use toLongArray()");
        }
        try {
            return backend.download(this);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Copies an int64 tensor's values to a new host array. */
    public long[] toLongArray() {
        if (dtype != DType.INT64) {
            throw new IllegalStateException("tensor " + shape.dimsString() + " is " + dtype.torchName()
                    + "; use toArray()");
        }
        try {
            return backend.downloadLongs(this);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Closes this handle; the memory is released when no other handle (view, share) holds it. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "Tensor" + shape.dimsString() + (dtype == DType.FLOAT32 ? "" : "(" + dtype.torchName() + ")") + "@"
                + backend.name();
    }
}
