package org.layers4j.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Reads the first group of a saved param_groups JSON list. */
final class HyperParameters {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final JsonNode group;

    HyperParameters(String paramGroupsJson) {
        JsonNode n;
        try {
            n = paramGroupsJson == null ? null : JSON.readTree(paramGroupsJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("param_groups is not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isArray() || n.size() != 1 || !n.get(0).isObject()) {
            throw new IllegalArgumentException("param_groups must be a JSON list of one group, got " + paramGroupsJson);
        }
        this.group = n.get(0);
    }

    double number(String key) {
        JsonNode v = group.get(key);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException("param_groups[0]." + key + " must be a number, got " + v);
        }
        return v.asDouble();
    }

    boolean bool(String key) {
        JsonNode v = group.get(key);
        if (v == null || !v.isBoolean()) {
            throw new IllegalArgumentException("param_groups[0]." + key + " must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    double[] pair(String key) {
        JsonNode v = group.get(key);
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
            throw new IllegalArgumentException("param_groups[0]." + key + " must be a list of two numbers, got " + v);
        }
        return new double[] {v.get(0).asDouble(), v.get(1).asDouble()};
    }
}
