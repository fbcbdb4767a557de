package org.layers4j.nn.pool;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * What AdaptiveAvgPool1d/2d and AdaptiveMaxPool2d share: an output size per dimension (null in 2-D:
 * the input's size, PyTorch's None), output cell i of an axis in → out covering
 * [floor(i·in/out), ceil((i+1)·in/out)), batched or unbatched inputs, 1-D as height 1.
 */
public abstract class AdaptivePooling extends Module {
    private final int dims;
    private final boolean max;
    private final Integer[] outputSize;

    AdaptivePooling(int dims, boolean max, Integer[] outputSize, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        String op = getClass().getSimpleName();
        if (outputSize == null || (outputSize.length != 1 && outputSize.length != dims)) {
            throw new IllegalArgumentException(op + ": output_size must be a single int or a tuple of " + dims + " ints");
        }
        Integer[] o = outputSize.length == 1 && dims == 2 ? new Integer[] {outputSize[0], outputSize[0]} : outputSize.clone();
        for (Integer v : o) {
            if (v == null && dims == 1) {
                throw new IllegalArgumentException(op + ": output_size must not be None");
            }
            if (v != null && v < 0) {
                throw new IllegalArgumentException(op + ": elements of output_size must be greater than or equal to 0"
                        + " but received " + v);
            }
        }
        this.dims = dims;
        this.max = max;
        this.outputSize = o;
    }

    /** output_size per dimension; null entries mean the input's size. */
    public Integer[] outputSize() {
        return outputSize.clone();
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        String op = getClass().getSimpleName();
        Shape s = requireInput(op, input);
        int rank = s.rank();
        if (rank != dims + 1 && rank != dims + 2) {
            throw new IllegalArgumentException(op + ": Expected " + (dims + 1) + "D or " + (dims + 2)
                    + "D tensor, but got input of size: " + s.dimsString());
        }
        boolean batched = rank == dims + 2;
        for (int i = batched ? 1 : 0; i < rank; i++) {
            if (s.dim(i) == 0) {
                throw new IllegalArgumentException(op + ": Expected input to have non-zero size for non-batch dimensions,"
                        + " but input has sizes " + s.dimsString() + " with dimension " + i + " being empty");
            }
        }
        int n = batched ? s.dim(0) : 1;
        int c = s.dim(batched ? 1 : 0);
        int h = dims == 2 ? s.dim(rank - 2) : 1;
        int w = s.dim(rank - 1);
        int oh = dims == 2 ? (outputSize[0] == null ? h : outputSize[0]) : 1;
        int ow = outputSize[dims - 1] == null ? w : outputSize[dims - 1];
        int[] od = s.dims();
        if (dims == 2) {
            od[rank - 2] = oh;
        }
        od[rank - 1] = ow;
        Shape os = Shape.of(od);
        if (os.size() == 0) {
            return be.allocate(os);
        }
        Shape in4 = Shape.of(n, c, h, w);
        Shape out4 = Shape.of(n, c, oh, ow);
        Tensor out = compute(be, os, y -> {
            try (Tensor x4 = input.reshape(in4); Tensor y4 = y.reshape(out4)) {
                if (max) {
                    be.pooling().adaptiveMaxForward(x4, y4);
                } else {
                    be.pooling().adaptiveAvgForward(x4, y4);
                }
            }
        }, input);
        return record(op, out, tensors(input), params(), max ? tensors(input, out) : tensors(),
                (dy, k) -> new Tensor[] {compute(be, s, dx -> {
                    try (Tensor dy4 = dy.reshape(out4); Tensor dx4 = dx.reshape(in4)) {
                        if (max) {
                            try (Tensor x4 = k[0].reshape(in4); Tensor y4 = k[1].reshape(out4)) {
                                be.pooling().adaptiveMaxBackward(x4, y4, dy4, dx4);
                            }
                        } else {
                            be.pooling().adaptiveAvgBackward(dy4, dx4);
                        }
                    }
                }, dy)});
    }

    @Override
    protected String extraRepr() {
        if (dims == 1) {
            return "output_size=" + outputSize[0];
        }
        if (java.util.Objects.equals(outputSize[0], outputSize[1]) && outputSize[0] != null) {
            return "output_size=" + outputSize[0];
        }
        return "output_size=(" + none(outputSize[0]) + ", " + none(outputSize[1]) + ")";
    }

    private static String none(Integer v) {
        return v == null ? "None" : v.toString();
    }
}
