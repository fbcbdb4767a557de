package org.layers4j.nn.conv;

/** PyTorch's {@code padding_mode}: what the border outside the input holds. */
public enum PaddingMode {
    /** Zeros (PyTorch's default). */
    ZEROS("zeros"),
    /** Mirror without repeating the edge: [a b c] padded by 2 is [c b a b c b a]. */
    REFLECT("reflect"),
    /** Repeat the edge value. */
    REPLICATE("replicate"),
    /** Wrap around. */
    CIRCULAR("circular");

    private final String torchName;

    PaddingMode(String torchName) {
        this.torchName = torchName;
    }

    /** The name PyTorch uses, e.g. {@code "reflect"}. */
    public String torchName() {
        return torchName;
    }

    /** Parses PyTorch's name (case-insensitive). */
    public static PaddingMode fromTorchName(String name) {
        if (name != null) {
            for (PaddingMode m : values()) {
                if (m.torchName.equalsIgnoreCase(name.trim())) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular',"
                + " but got '" + name + "'");
    }
}
