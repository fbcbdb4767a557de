package org.layers4j.nn;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Flatten(start_dim=1, end_dim=-1)}: dimensions start_dim..end_dim merged into
 * one. The output shares the input's memory (a new handle), as PyTorch's view does.
 */
public final class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    public Flatten() {
        this(1, -1, null);
    }

    public Flatten(int startDim, int endDim) {
        this(startDim, endDim, null);
    }

    public Flatten(int startDim, int endDim, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        this.startDim = startDim;
        this.endDim = endDim;
    }

    public int startDim() {
        return startDim;
    }

    public int endDim() {
        return endDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        Shape s = requireInput("Flatten", input);
        int rank = s.rank();
        int a = Functional.checkDim("Flatten", startDim, rank);
        int b = Functional.checkDim("Flatten", endDim, rank);
        if (a > b) {
            throw new IllegalArgumentException("Flatten: flatten() has invalid args: start_dim cannot come after end_dim"
                    + " (start_dim=" + startDim + ", end_dim=" + endDim + " for input of size " + s.dimsString() + ")");
        }
        if (rank == 0) {
            return Functional.reshape(input, Shape.of(1));
        }
        int[] out = new int[rank - (b - a)];
        long merged = 1;
        for (int i = 0; i < rank; i++) {
            if (i < a) {
                out[i] = s.dim(i);
            } else if (i <= b) {
                merged *= s.dim(i);
            } else {
                out[i - (b - a)] = s.dim(i);
            }
        }
        out[a] = (int) merged;
        return Functional.reshape(input, Shape.of(out));
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
