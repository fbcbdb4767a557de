package org.layers4j.io;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.internal.Json;

/**
 * Typed access to a layer spec's arguments (a parsed JSON object, see {@link Json}) that remembers which
 * were read, to reject unknown ones.
 */
final class SpecArgs {
    private final Map<String, Object> spec;
    private final Set<String> used = new HashSet<>();

    SpecArgs(Map<String, Object> spec) {
        this.spec = spec;
    }

    boolean has(String k) {
        used.add(k);
        return spec.containsKey(k);
    }

    /** The raw value (null for JSON null); IllegalArgumentException when the argument is missing. */
    Object node(String k) {
        used.add(k);
        if (!spec.containsKey(k)) {
            throw new IllegalArgumentException(op() + ": missing argument '" + k + "'");
        }
        return spec.get(k);
    }

    boolean isNull(String k) {
        return node(k) == null;
    }

    private String op() {
        Object op = spec.get("op");
        return op instanceof String s ? s : "?";
    }

    String string(String k) {
        Object n = node(k);
        if (!(n instanceof String s)) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be a string, got " + Json.write(n));
        }
        return s;
    }

    String string(String k, String dflt) {
        return has(k) ? string(k) : dflt;
    }

    private static boolean isInt(Object n) {
        return n instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE;
    }

    int integer(String k) {
        Object n = node(k);
        if (!isInt(n)) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be an integer, got " + Json.write(n));
        }
        return (int) (long) (Long) n;
    }

    int integer(String k, int dflt) {
        return has(k) ? integer(k) : dflt;
    }

    Integer optionalInteger(String k) {
        return !has(k) || spec.get(k) == null ? null : integer(k);
    }

    double number(String k, double dflt) {
        if (!has(k)) {
            return dflt;
        }
        Object n = node(k);
        if (!(n instanceof Number num)) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be a number, got " + Json.write(n));
        }
        return num.doubleValue();
    }

    boolean bool(String k, boolean dflt) {
        if (!has(k)) {
            return dflt;
        }
        Object n = node(k);
        if (!(n instanceof Boolean b)) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be true or false, got " + Json.write(n));
        }
        return b;
    }

    /** An integer of at least {@code min}; IllegalArgumentException naming the argument otherwise. */
    int atLeast(String k, int min) {
        int v = integer(k);
        if (v < min) {
            throw new IllegalArgumentException(op() + ": '" + k + "' must be >= " + min + ", got " + v);
        }
        return v;
    }

    /** {@link #ints}, each at least {@code min}. */
    int[] intsAtLeast(String k, int min) {
        int[] v = ints(k);
        for (int x : v) {
            if (x < min) {
                throw new IllegalArgumentException(op() + ": '" + k + "' must hold integers >= " + min + ", got "
                        + Json.write(node(k)));
            }
        }
        return v;
    }

    /** A list of integers (or one integer, as a list of one); an empty list is an error. */
    int[] ints(String k) {
        Object n = node(k);
        if (n instanceof List<?> l) {
            if (l.isEmpty()) {
                throw new IllegalArgumentException(op() + ": '" + k + "' must not be an empty list");
            }
            int[] v = new int[l.size()];
            for (int i = 0; i < v.length; i++) {
                if (!isInt(l.get(i))) {
                    throw new IllegalArgumentException(op() + ": '" + k + "' must hold integers, got " + Json.write(n));
                }
                v[i] = (int) (long) (Long) l.get(i);
            }
            return v;
        }
        return new int[] {integer(k)};
    }

    double[] numbers(String k) {
        Object n = node(k);
        if (n instanceof List<?> l) {
            if (l.isEmpty()) {
                throw new IllegalArgumentException(op() + ": '" + k + "' must not be an empty list");
            }
            double[] v = new double[l.size()];
            for (int i = 0; i < v.length; i++) {
                if (!(l.get(i) instanceof Number x)) {
                    throw new IllegalArgumentException(op() + ": '" + k + "' must hold numbers, got " + Json.write(n));
                }
                v[i] = x.doubleValue();
            }
            return v;
        }
        return new double[] {number(k, 0)};
    }

    Integer[] optionalInts(String k) {
        Object n = node(k);
        if (n instanceof List<?> l) {
            if (l.isEmpty()) {
                throw new IllegalArgumentException(op() + ": '" + k + "' must not be an empty list");
            }
            Integer[] v = new Integer[l.size()];
            for (int i = 0; i < v.length; i++) {
                Object e = l.get(i);
                if (e != null && !isInt(e)) {
                    throw new IllegalArgumentException(op() + ": '" + k + "' must hold integers or null, got " + Json.write(n));
                }
                v[i] = e == null ? null : (int) (long) (Long) e;
            }
            return v;
        }
        return new Integer[] {integer(k)};
    }

    void checkAllUsed() {
        List<String> unknown = new ArrayList<>();
        for (String f : spec.keySet()) {
            if (!used.contains(f)) {
                unknown.add(f);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(op() + ": unknown argument(s) " + unknown);
        }
    }
}
