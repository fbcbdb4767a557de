package org.layers4j.graph.ops;

/** Registered after the ops land. */
final class ResampleFunctions {
    private ResampleFunctions() {
    }

    static void register(OpRegistry r) {
    }
}
