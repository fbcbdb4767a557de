package org.layers4j.graph;

import org.layers4j.graph.Node.Ref;

/**
 * A Java model that can write its forward as graph nodes, so that {@code Models.save} stores it as a graph
 * file: the same calls its {@code forward} makes, on {@link GraphTracer.Scope} instead of tensors.
 */
public interface Traceable {
    /** Appends this module's forward for {@code input} to the scope's graph and returns the output. */
    Ref trace(GraphTracer.Scope scope, Ref input);
}
