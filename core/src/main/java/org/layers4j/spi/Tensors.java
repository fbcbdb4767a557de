package org.layers4j.spi;

import java.util.Objects;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * For backends only: creating a {@link Tensor} over a backend's memory and reaching that memory
 * again. Kept off {@code Tensor} itself so that a user's type shows only what users need.
 */
public final class Tensors {
    /** Implemented by {@code Tensor}, which installs it when its class initializes. */
    public interface Access {
        Tensor wrap(Backend backend, Shape shape, DType dtype, TensorStorage storage);

        TensorStorage storage(Tensor tensor);

        int handles(Tensor tensor);
    }

    private static volatile Access access;

    private Tensors() {
    }

    /** Called once by Tensor's static initializer. */
    public static void install(Access a) {
        if (access != null) {
            throw new IllegalStateException("tensor access is already installed");
        }
        access = a;
    }

    private static Access access() {
        Access a = access;
        if (a == null) {
            try {
                Class.forName(Tensor.class.getName(), true, Tensors.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
            a = access;
        }
        return a;
    }

    /** Wraps freshly allocated storage of {@code shape.size()} elements into a new owning tensor. */
    public static Tensor wrap(Backend backend, Shape shape, DType dtype, TensorStorage storage) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(storage, "storage");
        return access().wrap(backend, shape, dtype, storage);
    }

    /** Wraps float32 storage. */
    public static Tensor wrap(Backend backend, Shape shape, TensorStorage storage) {
        return wrap(backend, shape, DType.FLOAT32, storage);
    }

    /**
     * How many open handles ({@link Tensor#share}, {@link Tensor#reshape} views, the tensor itself) hold the memory
     * behind {@code tensor} now: 1 means that closing it frees the memory.
     */
    public static int handles(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        return access().handles(tensor);
    }

    /** The backend's memory behind a tensor; IllegalStateException when the tensor was closed. */
    public static TensorStorage storage(Tensor tensor) {
        return access().storage(tensor);
    }
}
