package org.layers4j.graph.ops;

import java.util.random.RandomGenerator;
import org.layers4j.spi.Backend;

/**
 * What a functional op may need besides its arguments: the backend the graph runs on, whether the graph
 * module is in training mode (dropout, stochastic depth) and its random generator for those.
 */
public record OpContext(Backend backend, boolean training, RandomGenerator random) {
}
