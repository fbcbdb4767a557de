package org.layers4j.nn.linear;

import java.util.SplittableRandom;
import org.layers4j.Backends;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)}: an int64 index
 * tensor of any shape [*] looks up rows of the weight [num_embeddings, embedding_dim], giving
 * [*, embedding_dim]. padding_idx (negative counts from the end) names a row that gets no gradient and
 * is initialized to zeros. Every index is checked to be in [0, num_embeddings) before the lookup.
 * Weight initialized from N(0, 1) as PyTorch (from this library's seedable RNG).
 */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final int embeddingDim;
    private final Integer paddingIdx;
    private final Parameter weight;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, null, 0);
    }

    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx) {
        this(numEmbeddings, embeddingDim, paddingIdx, null, 0);
    }

    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Backend backend, long seed) {
        super(backend == null ? Backends.defaultBackend() : backend);
        if (numEmbeddings < 0 || embeddingDim < 0) {
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be non-negative, but got "
                    + numEmbeddings + " and " + embeddingDim);
        }
        Integer pad = paddingIdx;
        if (pad != null) {
            if (pad >= numEmbeddings || pad < -numEmbeddings) {
                throw new IllegalArgumentException(pad >= 0 ? "Padding_idx must be within num_embeddings"
                        : "Padding_idx must be within num_embeddings (got " + pad + " for " + numEmbeddings + ")");
            }
            if (pad < 0) {
                pad = pad + numEmbeddings;
            }
        }
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = pad;
        float[] w = Init.normal(new SplittableRandom(seed), numEmbeddings * embeddingDim);
        if (pad != null) {
            java.util.Arrays.fill(w, pad * embeddingDim, (pad + 1) * embeddingDim, 0f);
        }
        this.weight = registerParameter("weight", backend().upload(w, Shape.of(numEmbeddings, embeddingDim)));
    }

    public int numEmbeddings() {
        return numEmbeddings;
    }

    public int embeddingDim() {
        return embeddingDim;
    }

    /** padding_idx as PyTorch stores it (non-negative), or null. */
    public Integer paddingIdx() {
        return paddingIdx;
    }

    public Tensor weight() {
        return weight.data();
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        Shape s = requireAnyInput("Embedding", input);
        if (input.dtype() != DType.INT64) {
            throw new IllegalArgumentException("Expected tensor for argument #1 'indices' to have one of the following"
                    + " scalar types: Long, Int; but got " + input.dtype().torchName() + " instead (while checking"
                    + " arguments for embedding)");
        }
        for (long v : input.toLongArray()) {
            if (v < 0 || v >= numEmbeddings) {
                throw new IllegalArgumentException("Embedding: index out of range in self: index " + v
                        + " is not in [0, " + numEmbeddings + ")");
            }
        }
        int[] od = java.util.Arrays.copyOf(s.dims(), s.rank() + 1);
        od[s.rank()] = embeddingDim;
        Shape os = Shape.of(od);
        Tensor w = weight.data();
        Tensor out = compute(be, os, y -> be.layout().gatherRows(input, w, y), input, w);
        long skip = paddingIdx == null ? -1 : paddingIdx;
        Shape ws = w.shape();
        return record("Embedding", out, tensors(), params(weight), tensors(input),
                (dy, k) -> new Tensor[] {compute(be, ws, dw -> be.layout().scatterAddRows(k[0], dy, dw, skip), k[0], dy)});
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx != null ? ", padding_idx=" + paddingIdx : "");
    }
}
