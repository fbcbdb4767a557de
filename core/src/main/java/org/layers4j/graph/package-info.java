/**
 * Models as graphs, in the spirit of {@code torch.fx}: a {@link org.layers4j.graph.Graph} is a flat,
 * ordered list of {@link org.layers4j.graph.Node}s (inputs, parameter reads, calls of submodules by
 * qualified name, calls of functional ops from the {@link org.layers4j.graph.ops.OpRegistry}, the
 * output), and a {@link org.layers4j.graph.GraphModule} runs it as a {@link org.layers4j.nn.Module}.
 * Front ends (a model file written by PyTorch's exporter, a {@link org.layers4j.graph.GraphBuilder} in
 * Java) produce graphs; passes rewrite them; backends never see them. The file format is
 * {@code docs/model-format.md}.
 */
package org.layers4j.graph;
