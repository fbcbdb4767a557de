package org.layers4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Typed access to a spec's arguments that remembers which were read, to reject unknown ones. */
final class SpecArgs {
    private final JsonNode spec;
    private final Set<String> used = new HashSet<>();

    SpecArgs(JsonNode spec) {
        this.spec = spec;
    }

    boolean has(String k) {
        used.add(k);
        return spec.has(k);
    }

    JsonNode node(String k) {
        used.add(k);
        JsonNode n = spec.get(k);
        if (n == null) {
            throw new IllegalArgumentException(op() + ": missing argument '" + k + "'");
        }
        return n;
    }

    private String op() {
        return spec.path("op").asText("?");
    }

    String string(String k) {
        JsonNode n = node(k);
        if (!n.isTextual()) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be a string, got " + n);
        }
        return n.asText();
    }

    String string(String k, String dflt) {
        return has(k) ? string(k) : dflt;
    }

    int integer(String k) {
        JsonNode n = node(k);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be an integer, got " + n);
        }
        return n.asInt();
    }

    int integer(String k, int dflt) {
        return has(k) ? integer(k) : dflt;
    }

    Integer optionalInteger(String k) {
        return !has(k) || spec.get(k).isNull() ? null : integer(k);
    }

    double number(String k, double dflt) {
        if (!has(k)) {
            return dflt;
        }
        JsonNode n = node(k);
        if (!n.isNumber()) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be a number, got " + n);
        }
        return n.asDouble();
    }

    boolean bool(String k, boolean dflt) {
        if (!has(k)) {
            return dflt;
        }
        JsonNode n = node(k);
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    int[] ints(String k) {
        JsonNode n = node(k);
        if (n.isArray()) {
            int[] v = new int[n.size()];
            for (int i = 0; i < v.length; i++) {
                if (!n.get(i).isIntegralNumber() || !n.get(i).canConvertToInt()) {
                    throw new IllegalArgumentException(op() + ": '" + k + "' must hold integers, got " + n);
                }
                v[i] = n.get(i).asInt();
            }
            return v;
        }
        return new int[] {integer(k)};
    }

    Integer[] optionalInts(String k) {
        JsonNode n = node(k);
        if (n.isArray()) {
            Integer[] v = new Integer[n.size()];
            for (int i = 0; i < v.length; i++) {
                JsonNode e = n.get(i);
                if (!e.isNull() && (!e.isIntegralNumber() || !e.canConvertToInt())) {
                    throw new IllegalArgumentException(op() + ": '" + k + "' must hold integers or null, got " + n);
                }
                v[i] = e.isNull() ? null : e.asInt();
            }
            return v;
        }
        return new Integer[] {integer(k)};
    }

    void checkAllUsed() {
        List<String> unknown = new ArrayList<>();
        spec.fieldNames().forEachRemaining(f -> {
            if (!used.contains(f)) {
                unknown.add(f);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(op() + ": unknown argument(s) " + unknown);
        }
    }
}
