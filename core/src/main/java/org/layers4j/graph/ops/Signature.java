package org.layers4j.graph.ops;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A functional op's parameters, Python style: names in order, each required, with a default, or a
 * {@code *varargs} that collects the remaining positional arguments (then, as Python's
 * {@code x.view(*shape)}, one list passed alone is taken as the whole). Written compactly:
 * {@code Signature.of("input", "other", "alpha=1")}, defaults in Python literal syntax
 * ({@code None}, {@code True}, {@code 1}, {@code 1e-05}, {@code 'nearest'}), {@code "*shape"} for varargs.
 */
public final class Signature {
    private static final Object REQUIRED = new Object() {
        @Override
        public String toString() {
            return "<required>";
        }
    };

    private final List<String> names;
    private final Map<String, Object> defaults;
    private final String varargs;

    private Signature(List<String> names, Map<String, Object> defaults, String varargs) {
        this.names = names;
        this.defaults = defaults;
        this.varargs = varargs;
    }

    /** Parses the compact form (see the class comment). */
    public static Signature of(String... params) {
        List<String> names = new ArrayList<>();
        Map<String, Object> defaults = new HashMap<>();
        String varargs = null;
        for (String p : params) {
            int eq = p.indexOf('=');
            String name = eq < 0 ? p : p.substring(0, eq);
            if (name.startsWith("*")) {
                name = name.substring(1);
                varargs = name;
            }
            names.add(name);
            defaults.put(name, eq < 0 ? (name.equals(varargs) ? List.of() : REQUIRED) : literal(p.substring(eq + 1)));
        }
        return new Signature(List.copyOf(names), defaults, varargs);
    }

    private static Object literal(String s) {
        return switch (s) {
            case "None" -> null;
            case "True" -> Boolean.TRUE;
            case "False" -> Boolean.FALSE;
            default -> {
                if (s.startsWith("'")) {
                    yield s.substring(1, s.length() - 1);
                }
                yield s.matches("-?\\d+") ? (Object) Long.valueOf(s) : (Object) Double.valueOf(s);
            }
        };
    }

    /** The parameter names in order. */
    public List<String> names() {
        return names;
    }

    /**
     * Binds positional and keyword arguments to the parameters, filling defaults; IllegalArgumentException
     * in Python's words for too many, unknown, repeated or missing arguments. Values are not checked here.
     */
    public Map<String, Object> bind(String op, List<Object> args, Map<String, Object> kwargs) {
        Map<String, Object> out = new LinkedHashMap<>();
        int fixed = varargs == null ? names.size() : names.indexOf(varargs);
        int i = 0;
        for (; i < args.size() && i < fixed; i++) {
            out.put(names.get(i), args.get(i));
        }
        if (i < args.size()) {
            if (varargs == null) {
                throw new IllegalArgumentException(op + "() takes " + names.size() + " positional argument(s) "
                        + names + " but " + args.size() + " were given");
            }
            List<Object> rest = new ArrayList<>(args.subList(i, args.size()));
            out.put(varargs, rest.size() == 1 && rest.get(0) instanceof List<?> l ? l : rest);
        }
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            if (!names.contains(e.getKey())) {
                throw new IllegalArgumentException(op + "() got an unexpected keyword argument '" + e.getKey()
                        + "'; its arguments are " + names);
            }
            if (out.containsKey(e.getKey())) {
                throw new IllegalArgumentException(op + "() got multiple values for argument '" + e.getKey() + "'");
            }
            Object v = e.getValue();
            out.put(e.getKey(), e.getKey().equals(varargs) && !(v instanceof List<?>) ? List.of(v) : v);
        }
        for (String n : names) {
            if (!out.containsKey(n)) {
                Object d = defaults.get(n);
                if (d == REQUIRED) {
                    throw new IllegalArgumentException(op + "() missing required argument '" + n + "'");
                }
                out.put(n, d);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        List<String> s = new ArrayList<>();
        for (String n : names) {
            Object d = defaults.get(n);
            s.add(n.equals(varargs) ? "*" + n : d == REQUIRED ? n : n + "=" + (d instanceof String str ? "'" + str + "'"
                    : d == null ? "None" : d));
        }
        return "(" + String.join(", ", s) + ")";
    }

    /** For messages: the names as a list. */
    String describe() {
        return Arrays.toString(names.toArray());
    }
}
