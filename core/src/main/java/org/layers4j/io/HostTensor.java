package org.layers4j.io;

import org.layers4j.Shape;

/**
 * A float32 tensor in host memory as read from or written to a file: shape and row-major values.
 *
 * @param shape the dimensions
 * @param data  {@code shape.size()} values, row-major
 */
public record HostTensor(Shape shape, float[] data) {
    public HostTensor {
        if (shape == null || data == null) {
            throw new IllegalArgumentException("shape and data must not be null");
        }
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("shape " + shape.dimsString() + " holds " + shape.size()
                    + " values, but got " + data.length);
        }
    }
}
