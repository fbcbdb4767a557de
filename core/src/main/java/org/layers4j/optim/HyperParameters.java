package org.layers4j.optim;

import java.util.List;
import java.util.Map;
import org.layers4j.internal.Json;

/** Reads the first group of a saved param_groups JSON list. */
final class HyperParameters {
    private final Map<?, ?> group;

    HyperParameters(String paramGroupsJson) {
        Object n;
        try {
            n = paramGroupsJson == null ? null : Json.parse(paramGroupsJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("param_groups is not valid JSON: " + e.getMessage(), e);
        }
        if (!(n instanceof List<?> l) || l.size() != 1 || !(l.get(0) instanceof Map<?, ?> g)) {
            throw new IllegalArgumentException("param_groups must be a JSON list of one group, got " + paramGroupsJson);
        }
        this.group = g;
    }

    double number(String key) {
        Object v = group.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("param_groups[0]." + key + " must be a number, got " + Json.write(v));
        }
        return n.doubleValue();
    }

    boolean bool(String key) {
        Object v = group.get(key);
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("param_groups[0]." + key + " must be true or false, got " + Json.write(v));
        }
        return b;
    }

    double[] pair(String key) {
        Object v = group.get(key);
        if (!(v instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Number a) || !(l.get(1) instanceof Number b)) {
            throw new IllegalArgumentException("param_groups[0]." + key + " must be a list of two numbers, got " + Json.write(v));
        }
        return new double[] {a.doubleValue(), b.doubleValue()};
    }
}
