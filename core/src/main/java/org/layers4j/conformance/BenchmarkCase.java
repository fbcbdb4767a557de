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

    /** The cases of a suite document, in order. */
    public static List<BenchmarkCase> of(JsonNode suite) {
        List<BenchmarkCase> cases = new ArrayList<>();
        suite.path("cases").forEach(c -> cases.add(new BenchmarkCase(c)));
        return cases;
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
        return b.stride(ints("stride")).padding(ints("padding")).dilation(ints("dilation"))
                .groups(node.path("groups").asInt(1));
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
