package org.layers4j.spi;

/**
 * The error a backend gives for an op family or an op it does not implement: an
 * {@link UnsupportedOperationException} naming the backend and the op, raised before any memory is touched.
 */
public final class Unsupported {
    private Unsupported() {
    }

    /** The backend has no implementation of a whole op family. */
    public static UnsupportedOperationException family(String backend, String family) {
        return new UnsupportedOperationException("the " + backend + " backend does not implement the " + family
                + " ops yet; run the model on the cpu backend (layers4j.backend=cpu)");
    }

    /** The backend has no implementation of one op. */
    public static UnsupportedOperationException op(String backend, String op) {
        return new UnsupportedOperationException("the " + backend + " backend does not implement " + op
                + " yet; run the model on the cpu backend (layers4j.backend=cpu)");
    }
}
