package org.layers4j.cpu.api;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/** The list half of the model-file fuzzers' JSON mutations: an element removed, repeated, swapped or mutated. */
final class JsonMutation {
    private JsonMutation() {
    }

    /** A copy of {@code l} with one random change; {@code deeper} mutates an element. */
    static List<Object> list(List<?> l, SplittableRandom rng, BiFunction<Object, SplittableRandom, Object> deeper) {
        List<Object> copy = new ArrayList<>(l);
        int i = rng.nextInt(copy.size());
        switch (rng.nextInt(5)) {
            case 0 -> copy.remove(i);
            case 1 -> copy.add(i, copy.get(rng.nextInt(copy.size())));
            case 2 -> {
                int j = rng.nextInt(copy.size());
                Object t = copy.get(i);
                copy.set(i, copy.get(j));
                copy.set(j, t);
            }
            default -> copy.set(i, deeper.apply(copy.get(i), rng));
        }
        return copy;
    }
}
