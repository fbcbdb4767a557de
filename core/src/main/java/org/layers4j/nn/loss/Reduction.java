package org.layers4j.nn.loss;

/** PyTorch's {@code reduction} argument of the losses. */
public enum Reduction {
    /** One loss per element (per sample for the classification losses). */
    NONE("none"),
    /** The (weighted) mean: PyTorch's default. */
    MEAN("mean"),
    /** The sum. */
    SUM("sum");

    private final String torchName;

    Reduction(String torchName) {
        this.torchName = torchName;
    }

    public String torchName() {
        return torchName;
    }

    /** {@code none}, {@code mean} or {@code sum}. */
    public static Reduction fromTorchName(String name) {
        for (Reduction r : values()) {
            if (r.torchName.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException(name + " is not a valid value for reduction (none, mean, sum)");
    }
}
