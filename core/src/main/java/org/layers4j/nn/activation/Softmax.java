package org.layers4j.nn.activation;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Softmax(dim)}: exp(x) / sum(exp(x)) along {@code dim} (negative counts from the
 * end), computed with the maximum subtracted. {@link LogSoftmax} is the same with {@code log}.
 * The gradient comes from the output, which the forward keeps.
 */
public class Softmax extends Module {
    private final int dim;
    private final boolean log;

    public Softmax(int dim) {
        this(dim, null);
    }

    public Softmax(int dim, Backend backend) {
        this(dim, backend, false);
    }

    Softmax(int dim, Backend backend, boolean log) {
        super(backend == null ? Backends.defaultBackend() : backend);
        this.dim = dim;
        this.log = log;
    }

    public int dim() {
        return dim;
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        String op = getClass().getSimpleName();
        Shape s = requireInput(op, input);
        int rank = Math.max(1, s.rank());
        if (dim < -rank || dim >= rank) {
            throw new IllegalArgumentException(op + ": Dimension out of range (expected to be in range of [" + -rank
                    + ", " + (rank - 1) + "], but got " + dim + ")");
        }
        int d = dim < 0 ? dim + rank : dim;
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < s.rank(); i++) {
            if (i < d) {
                outer *= s.dim(i);
            } else if (i > d) {
                inner *= s.dim(i);
            }
        }
        int size = s.rank() == 0 ? 1 : s.dim(d);
        int o = outer;
        int in = inner;
        Tensor out = compute(be, s, y -> be.activation().softmax(log, o, size, in, input, y), input);
        return record(op, out, tensors(input), params(), tensors(out), (dy, k) -> new Tensor[] {
            compute(be, s, dx -> be.activation().softmaxBackward(log, o, size, in, k[0], dy, dx), k[0], dy)});
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
