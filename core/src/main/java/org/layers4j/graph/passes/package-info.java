/**
 * Rewrites of a graph for eval-mode inference, in the manner of ONNX Runtime's optimizer: each
 * {@link org.layers4j.graph.passes.GraphPass} is one pattern and its replacement over a
 * {@link org.layers4j.graph.passes.FrozenGraph} (a graph with its state, a {@link org.layers4j.graph.passes.FrozenState}
 * read to the host only where a pass needs a value), in its own class with its own tests. {@link org.layers4j.graph.GraphModule#compileForInference} runs them in order:
 * {@link org.layers4j.graph.passes.BatchNormFolding}, {@link org.layers4j.graph.passes.ConvEpilogueFusion} (which
 * writes {@link org.layers4j.graph.passes.FusedConv} nodes), {@link org.layers4j.graph.passes.DeadCodeElimination}.
 * No pass changes an output beyond float32 rounding; {@code -Dlayers4j.optimize=false} turns them off to prove it.
 */
package org.layers4j.graph.passes;
