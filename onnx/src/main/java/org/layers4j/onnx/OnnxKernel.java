package org.layers4j.onnx;

/** The computation of one ONNX op type: a tensor, or a list of tensors for several outputs. */
@FunctionalInterface
interface OnnxKernel {
    Object run(OnnxCall call);
}
