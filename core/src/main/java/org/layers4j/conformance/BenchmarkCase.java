package org.layers4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.layers4j.Shape;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.spi.ConvGeometry;

/**
 * One case of a benchmark suite ({@code shared/bench/suite.json}: name, op, n, cin, cout, size,
 * kernel, stride, padding, dilation, groups), turned into the layer it describes, its input shape
 * and the plain geometry core plans for it. The CLI's {@code bench} and the JMH / SPI benchmarks
 * read the suite through this one class.
 */
public final class BenchmarkCase {
    private final JsonNode node;

    private BenchmarkCase(JsonNode node) {
        this.node = node;
    }

    /**
     * The cases of a suite document, in order, each checked: an object {@code {"cases": [...]}} with at
     * least one case, each with a name, op {@code conv1d} or {@code conv2d}, integral n, cin, cout (and
     * groups), size and kernel (and stride, padding, dilation) as an int or a list of one int per spatial
     * dimension.
     *
     * @throws IllegalArgumentException naming the case and the field that breaks a rule
     */
    public static List<BenchmarkCase> of(JsonNode suite) {
        if (suite == null || !suite.isObject()) {
            throw new IllegalArgumentException("a benchmark suite must be a JSON object {\"cases\": [...]}, but got "
                    + (suite == null || suite.isMissingNode() ? "nothing" : suite.getNodeType().toString().toLowerCase()));
        }
        JsonNode list = suite.path("cases");
        if (!list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException("a benchmark suite needs a non-empty \"cases\" list, but got "
                    + (list.isMissingNode() ? "none" : list.toString()));
        }
        List<BenchmarkCase> cases = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            BenchmarkCase c = new BenchmarkCase(list.get(i));
            c.validate(i);
            cases.add(c);
        }
        return cases;
    }

    private void validate(int index) {
        String where = "benchmark case " + index;
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON object, but got " + node);
        }
        if (!node.path("name").isTextual() || node.path("name").asText().isEmpty()) {
            throw new IllegalArgumentException(where + ": \"name\" must be a non-empty string, but got "
                    + text(node.path("name")));
        }
        where += " (" + name() + ")";
        String op = node.path("op").isTextual() ? node.path("op").asText() : null;
        if (!"conv1d".equals(op) && !"conv2d".equals(op)) {
            throw new IllegalArgumentException(where + ": \"op\" must be \"conv1d\" or \"conv2d\", but got "
                    + text(node.path("op")));
        }
        int dims = op.equals("conv1d") ? 1 : 2;
        for (String key : new String[] {"n", "cin", "cout"}) {
            integer(where, key, true);
        }
        if (node.has("groups")) {
            integer(where, "groups", false);
        }
        for (String key : new String[] {"size", "kernel", "stride", "padding", "dilation"}) {
            boolean required = key.equals("size") || key.equals("kernel");
            if (!required && !node.has(key)) {
                continue;
            }
            JsonNode a = node.path(key);
            boolean ok = a.isIntegralNumber() && a.canConvertToInt() && dims >= 1 && !key.equals("size")
                    || a.isArray() && (a.size() == dims || a.size() == 1 && !key.equals("size"));
            if (ok && a.isArray()) {
                for (JsonNode e : a) {
                    ok &= e.isIntegralNumber() && e.canConvertToInt();
                }
            }
            if (key.equals("size") && a.isIntegralNumber() && a.canConvertToInt() && dims == 1) {
                ok = true;
            }
            if (!ok) {
                throw new IllegalArgumentException(where + ": \"" + key + "\" must be " + (key.equals("size") ? "" : "an int or ")
                        + "a list of " + dims + " int(s) for " + op + ", but got " + text(a));
            }
        }
        try {
            geometry();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private void integer(String where, String key, boolean required) {
        JsonNode v = node.path(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" must be an int, but got " + text(v));
        }
    }

    private static String text(JsonNode v) {
        return v.isMissingNode() ? "nothing" : v.toString();
    }

    public String name() {
        return node.path("name").asText();
    }

    /** The layer's builder with the case's arguments (backend and seed left to the caller). */
    public ConvBuilder<? extends Convolution> builder() {
        int cin = node.path("cin").asInt();
        int cout = node.path("cout").asInt();
        int[] kernel = ints("kernel");
        ConvBuilder<? extends Convolution> b = node.path("op").asText().equals("conv1d")
                ? Conv1d.builder(cin, cout, kernel) : Conv2d.builder(cin, cout, kernel);
        if (node.has("stride")) {
            b.stride(ints("stride"));
        }
        if (node.has("padding")) {
            b.padding(ints("padding"));
        }
        if (node.has("dilation")) {
            b.dilation(ints("dilation"));
        }
        return b.groups(node.path("groups").asInt(1));
    }

    /** [n, cin, *size]. */
    public Shape inputShape() {
        int[] size = ints("size");
        int[] in = new int[2 + size.length];
        in[0] = node.path("n").asInt();
        in[1] = node.path("cin").asInt();
        System.arraycopy(size, 0, in, 2, size.length);
        return Shape.of(in);
    }

    /** The plain convolution core runs for this case (conv1d as height 1). */
    public ConvGeometry geometry() {
        return builder().spec().plan(inputShape()).geometry();
    }

    private int[] ints(String key) {
        JsonNode a = node.path(key);
        if (a.isInt()) {
            return new int[] {a.asInt()};
        }
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }
}
