package org.layers4j.nn;

import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.nn.functional.Shapes;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Identity()}: returns its input. The output is a new handle on the input's memory,
 * recorded on the tape (so the caller may close it independently of the input).
 */
public final class Identity extends Module {
    public Identity() {
        this(null);
    }

    public Identity(Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
    }

    @Override
    public Tensor forward(Tensor input) {
        requireAnyInput("Identity", input);
        return Shapes.contiguous(input);
    }
}
