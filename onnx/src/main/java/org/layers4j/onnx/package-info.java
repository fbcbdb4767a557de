/**
 * ONNX models on layers4j: {@link org.layers4j.onnx.OnnxModels#load} reads a ModelProto (with protobuf's
 * CodedInputStream, by the field numbers of ONNX's specification: {@link org.layers4j.onnx.OnnxProto}) into a
 * {@link org.layers4j.graph.GraphModule}.
 */
package org.layers4j.onnx;
