package org.layers4j.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.layers4j.internal.Json;
import org.layers4j.Shape;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.spi.ConvGeometry;

/**
 * One case of a benchmark suite (the CLI's bundled {@code suite.json}: name, op, n, cin, cout, size,
 * kernel, stride, padding, dilation, groups), turned into the layer it describes, its input shape
 * and the plain geometry core plans for it. The CLI's {@code bench} and the JMH / SPI benchmarks
 * read the suite through this one class.
 */
public final class BenchmarkCase {
    private final Map<?, ?> node;

    private BenchmarkCase(Map<?, ?> node) {
        this.node = node;
    }

    /** The cases of a suite document given as JSON text; see {@link #of(Object)}. */
    public static List<BenchmarkCase> parse(String suiteJson) {
        Object suite;
        try {
            suite = Json.parse(suiteJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the benchmark suite is not valid JSON: " + e.getMessage(), e);
        }
        return of(suite);
    }

    /**
     * The cases of a parsed suite document, in order, each checked: an object {@code {"cases": [...]}}
     * with at least one case, each with a name, op {@code conv1d} or {@code conv2d}, integral n, cin, cout
     * (and groups), size and kernel (and stride, padding, dilation) as an int or a list of one int per
     * spatial dimension.
     *
     * @throws IllegalArgumentException naming the case and the field that breaks a rule
     */
    public static List<BenchmarkCase> of(Object suite) {
        if (!(suite instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("a benchmark suite must be a JSON object {\"cases\": [...]}, but got "
                    + (suite == null ? "nothing" : kind(suite)));
        }
        Object list = m.get("cases");
        if (!(list instanceof List<?> l) || l.isEmpty()) {
            throw new IllegalArgumentException("a benchmark suite needs a non-empty \"cases\" list, but got "
                    + (!m.containsKey("cases") ? "none" : Json.write(list)));
        }
        List<BenchmarkCase> cases = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            Object o = l.get(i);
            if (!(o instanceof Map<?, ?> c)) {
                throw new IllegalArgumentException("benchmark case " + i + " must be a JSON object, but got " + Json.write(o));
            }
            BenchmarkCase bc = new BenchmarkCase(c);
            bc.validate(i);
            cases.add(bc);
        }
        return cases;
    }

    private static String kind(Object v) {
        return v instanceof List ? "array" : v instanceof String ? "string" : v instanceof Number ? "number"
                : v instanceof Boolean ? "boolean" : "object";
    }

    private static boolean isInt(Object v) {
        return v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE;
    }

    private void validate(int index) {
        String where = "benchmark case " + index;
        if (!(node.get("name") instanceof String n) || n.isEmpty()) {
            throw new IllegalArgumentException(where + ": \"name\" must be a non-empty string, but got "
                    + text("name"));
        }
        where += " (" + name() + ")";
        String op = node.get("op") instanceof String o ? o : null;
        if (!"conv1d".equals(op) && !"conv2d".equals(op)) {
            throw new IllegalArgumentException(where + ": \"op\" must be \"conv1d\" or \"conv2d\", but got "
                    + text("op"));
        }
        int dims = op.equals("conv1d") ? 1 : 2;
        for (String key : new String[] {"n", "cin", "cout"}) {
            integer(where, key);
        }
        if (node.containsKey("groups")) {
            integer(where, "groups");
        }
        for (String key : new String[] {"size", "kernel", "stride", "padding", "dilation"}) {
            boolean required = key.equals("size") || key.equals("kernel");
            if (!required && !node.containsKey(key)) {
                continue;
            }
            Object a = node.get(key);
            boolean ok = isInt(a) && !key.equals("size")
                    || a instanceof List<?> l && (l.size() == dims || l.size() == 1 && !key.equals("size"));
            if (ok && a instanceof List<?> l) {
                for (Object e : l) {
                    ok &= isInt(e);
                }
            }
            if (key.equals("size") && isInt(a) && dims == 1) {
                ok = true;
            }
            if (!ok) {
                throw new IllegalArgumentException(where + ": \"" + key + "\" must be " + (key.equals("size") ? "" : "an int or ")
                        + "a list of " + dims + " int(s) for " + op + ", but got " + text(key));
            }
        }
        try {
            geometry();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private void integer(String where, String key) {
        if (!isInt(node.get(key))) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" must be an int, but got " + text(key));
        }
    }

    private String text(String key) {
        return node.containsKey(key) ? Json.write(node.get(key)) : "nothing";
    }

    private int integer(String key, int dflt) {
        return node.containsKey(key) ? (int) (long) (Long) node.get(key) : dflt;
    }

    public String name() {
        return (String) node.get("name");
    }

    /** The layer's builder with the case's arguments (backend and seed left to the caller). */
    public ConvBuilder<? extends Convolution> builder() {
        int cin = integer("cin", 0);
        int cout = integer("cout", 0);
        int[] kernel = ints("kernel");
        ConvBuilder<? extends Convolution> b = "conv1d".equals(node.get("op"))
                ? Conv1d.builder(cin, cout, kernel) : Conv2d.builder(cin, cout, kernel);
        if (node.containsKey("stride")) {
            b.stride(ints("stride"));
        }
        if (node.containsKey("padding")) {
            b.padding(ints("padding"));
        }
        if (node.containsKey("dilation")) {
            b.dilation(ints("dilation"));
        }
        return b.groups(integer("groups", 1));
    }

    /** [n, cin, *size]. */
    public Shape inputShape() {
        int[] size = ints("size");
        int[] in = new int[2 + size.length];
        in[0] = integer("n", 0);
        in[1] = integer("cin", 0);
        System.arraycopy(size, 0, in, 2, size.length);
        return Shape.of(in);
    }

    /** The plain convolution core runs for this case (conv1d as height 1). */
    public ConvGeometry geometry() {
        return builder().spec().plan(inputShape()).geometry();
    }

    private int[] ints(String key) {
        Object a = node.get(key);
        if (a instanceof Long l) {
            return new int[] {(int) (long) l};
        }
        List<?> list = (List<?>) a;
        int[] v = new int[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) (long) (Long) list.get(i);
        }
        return v;
    }
}
