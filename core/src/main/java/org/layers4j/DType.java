package org.layers4j;

/**
 * The element type of a {@link Tensor}. Everything a layer computes is {@link #FLOAT32}; {@link #INT64}
 * holds indices (Embedding's input) and counters (BatchNorm's {@code num_batches_tracked}), as in
 * PyTorch.
 */
public enum DType {
    FLOAT32("torch.float32", 4),
    INT64("torch.int64", 8);

    private final String torchName;
    private final int bytes;

    DType(String torchName, int bytes) {
        this.torchName = torchName;
        this.bytes = bytes;
    }

    /** PyTorch's name, e.g. {@code torch.float32}. */
    public String torchName() {
        return torchName;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }
}
