package org.layers4j.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One node of a {@link Graph}: it defines the value {@link #name()} by an {@link Opcode}, a target (a
 * placeholder's argument name, a parameter's or module's qualified name, an op of the registry) and
 * arguments. Argument values are {@code null}, {@link Boolean}, {@link Long}, {@link Double},
 * {@link String}, {@link List} (Python tuples and lists), {@link Ref} (an earlier node's value),
 * {@link Dict} and {@link Slice} — immutable once the node is built.
 */
public record Node(String name, Opcode op, String target, List<Object> args, Map<String, Object> kwargs) {
    /** fx's opcodes, less {@code call_method}, which front ends turn into {@code call_function}. */
    public enum Opcode {
        PLACEHOLDER("placeholder"), GET_ATTR("get_attr"), CALL_MODULE("call_module"), CALL_FUNCTION("call_function"),
        OUTPUT("output");

        private final String json;

        Opcode(String json) {
            this.json = json;
        }

        /** The name in the file ({@code call_function}). */
        public String json() {
            return json;
        }

        /** The opcode of a file name; IllegalArgumentException naming the known ones. */
        public static Opcode of(String json) {
            for (Opcode o : values()) {
                if (o.json.equals(json)) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown node op '" + json + "'; known: placeholder, get_attr, call_module,"
                    + " call_function, output (call_method is written as call_function)");
        }
    }

    /** A reference to the value of the node named {@code name}. */
    public record Ref(String name) {
        public Ref {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A Python dict with string keys, in insertion order (a model's {@code {"out": ..., "aux": ...}}). */
    public record Dict(Map<String, Object> entries) {
        public Dict {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }
    }

    /** A Python slice; null fields are Python's None. */
    public record Slice(Long start, Long stop, Long step) {
    }

    public Node {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(target, "target");
        args = Collections.unmodifiableList(new ArrayList<>(args == null ? List.of() : args));
        kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(kwargs == null ? Map.of() : kwargs));
    }

    /** Every {@link Ref} among the arguments, nested ones included, in order. */
    public List<Ref> refs() {
        List<Ref> out = new ArrayList<>();
        Consumer<Object> visit = new Consumer<>() {
            @Override
            public void accept(Object v) {
                if (v instanceof Ref r) {
                    out.add(r);
                } else if (v instanceof List<?> l) {
                    l.forEach(this);
                } else if (v instanceof Dict d) {
                    d.entries().values().forEach(this);
                }
            }
        };
        args.forEach(visit);
        kwargs.values().forEach(visit);
        return out;
    }

    @Override
    public String toString() {
        return name + " = " + op.json() + "[" + target + "](" + args + (kwargs.isEmpty() ? "" : ", " + kwargs) + ")";
    }
}
