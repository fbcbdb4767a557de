package org.layers4j.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphJson;
import org.layers4j.graph.Node;

/**
 * The output names a model file declares, read on the driver from the safetensors header alone (no weights):
 * {@code output} for a Sequential or a graph returning one tensor, a dict's keys, a tuple's indices, as
 * {@link org.layers4j.graph.GraphModule#forwardNamed} names them. A graph value that is a node's result may
 * still be a tuple at run time ({@code chunk}, {@code split}), so names below such a value
 * ({@code 0}, {@code aux.1}) are accepted here and checked on the executor.
 */
final class ModelOutputs {
    private static final Pattern INDICES = Pattern.compile("\\d+(\\.\\d+)*");
    /** The largest header read (the safetensors reference implementation's limit): 100 MB. */
    private static final long MAX_HEADER = 100_000_000;

    /** The names known from the file, in order, and the prefixes under which a run-time tuple may add indices. */
    record Declared(List<String> names, List<String> tuplePrefixes) {
        boolean accepts(String name) {
            if (names.contains(name)) {
                return true;
            }
            for (String p : tuplePrefixes) {
                if (name.startsWith(p) && INDICES.matcher(name.substring(p.length())).matches()) {
                    return true;
                }
            }
            return false;
        }
    }

    private ModelOutputs() {
    }

    /** The outputs a model file declares; IOException when its header cannot be read or parsed. */
    static Declared read(Path file) throws IOException {
        Map<String, String> metadata = metadata(file);
        if (!"graph".equals(metadata.get("op")) || metadata.get("graph") == null) {
            return new Declared(List.of("output"), List.of());
        }
        Graph g;
        try {
            g = GraphJson.parse(metadata.get("graph"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        Object value = g.output().args().isEmpty() ? null : g.output().args().get(0);
        walk("", value, names, prefixes);
        return new Declared(List.copyOf(names), List.copyOf(prefixes));
    }

    private static void walk(String prefix, Object v, List<String> names, List<String> prefixes) {
        if (v instanceof Node.Ref) {
            names.add(prefix.isEmpty() ? "output" : prefix);
            prefixes.add(prefix.isEmpty() ? "" : prefix + ".");
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                walk(prefix.isEmpty() ? Integer.toString(i) : prefix + "." + i, l.get(i), names, prefixes);
            }
        } else if (v instanceof Node.Dict d) {
            d.entries().forEach((k, x) -> walk(prefix.isEmpty() ? k : prefix + "." + k, x, names, prefixes));
        }
        // null (a dict's None) and constants hold no tensor
    }

    /** The string entries of the header's {@code __metadata__}, read with the streaming parser. */
    static Map<String, String> metadata(Path file) throws IOException {
        byte[] header;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) {
                // reads the 8-byte length
            }
            if (len.hasRemaining()) {
                throw new IOException(file + ": not a safetensors file (shorter than its 8-byte header length)");
            }
            long n = len.flip().getLong();
            if (n <= 0 || n > MAX_HEADER || n > ch.size() - 8) {
                throw new IOException(file + ": not a safetensors file (header length " + n + ")");
            }
            ByteBuffer h = ByteBuffer.allocate((int) n);
            while (h.hasRemaining() && ch.read(h) >= 0) {
                // reads the header
            }
            header = h.array();
        }
        Map<String, String> out = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(new String(header, StandardCharsets.UTF_8))) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": the safetensors header is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("__metadata__".equals(field) && t == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        if (p.nextToken() == JsonToken.VALUE_STRING) {
                            out.put(key, p.getText());
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return out;
    }
}
