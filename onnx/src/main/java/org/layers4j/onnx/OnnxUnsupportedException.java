package org.layers4j.onnx;

/**
 * An ONNX model uses something this front end does not implement: an op type, an attribute value, a data
 * type, an input rank. Thrown at load where the graph alone shows it, else at the call; never a wrong result.
 */
public class OnnxUnsupportedException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    public OnnxUnsupportedException(String message) {
        super(message);
    }
}
