package org.layers4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.Shape;

/**
 * Reads and writes the safetensors format (F32 tensors plus string metadata): an 8-byte
 * little-endian header length, a JSON header, then raw little-endian data. This is how PyTorch
 * state_dicts reach layers4j ({@link StateDicts}) and how the conformance fixtures are stored.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String METADATA = "__metadata__";

    /** The content of one file: tensors in file order, and the {@code __metadata__} map. */
    public record Contents(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        public Contents {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** A tensor by name; IllegalArgumentException listing the names present when absent. */
        public HostTensor tensor(String name) {
            HostTensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor '" + name + "'; the file holds " + tensors.keySet());
            }
            return t;
        }
    }

    private SafeTensors() {
    }

    public static Contents read(Path path) throws IOException {
        try {
            return parse(Files.readAllBytes(path));
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** Parses a whole file's bytes; IllegalArgumentException when they are not valid F32 safetensors. */
    public static Contents parse(byte[] bytes) {
        if (bytes.length < 8) {
            throw new IllegalArgumentException("not a safetensors file: " + bytes.length + " bytes, less than the 8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        if (headerLength < 2 || headerLength > bytes.length - 8) {
            throw new IllegalArgumentException("header length " + headerLength + " does not fit a file of " + bytes.length + " bytes");
        }
        int dataStart = 8 + (int) headerLength;
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new IllegalArgumentException("header is not a JSON object");
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(METADATA)) {
                e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
            } else {
                tensors.put(e.getKey(), tensor(e.getKey(), e.getValue(), buf, dataStart));
            }
        }
        return new Contents(tensors, metadata);
    }

    private static HostTensor tensor(String name, JsonNode info, ByteBuffer buf, int dataStart) {
        String dtype = info.path("dtype").asText();
        if (!dtype.equals("F32")) {
            throw new IllegalArgumentException("tensor '" + name + "' has dtype " + dtype + "; only F32 is supported");
        }
        JsonNode shapeNode = info.path("shape");
        int[] dims = new int[shapeNode.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shapeNode.get(i).asInt();
        }
        Shape shape = Shape.of(dims);
        JsonNode offsets = info.path("data_offsets");
        long begin = offsets.path(0).asLong(-1);
        long end = offsets.path(1).asLong(-1);
        if (begin < 0 || end < begin || dataStart + end > buf.capacity() || end - begin != 4L * shape.size()) {
            throw new IllegalArgumentException("tensor '" + name + "' has data_offsets " + offsets + " that do not hold "
                    + shape.dimsString() + " F32 values within the file");
        }
        float[] data = new float[shape.size()];
        buf.slice(dataStart + (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new HostTensor(shape, data);
    }

    public static void write(Path path, Map<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
        Files.write(path, serialize(tensors, metadata));
    }

    /** The bytes of a safetensors file holding {@code tensors} in map order. */
    public static byte[] serialize(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("a tensor must not be named " + METADATA);
            }
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", "F32");
            ArrayNode shape = info.putArray("shape");
            for (int d : e.getValue().shape().dims()) {
                shape.add(d);
            }
            long size = 4L * e.getValue().data().length;
            info.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // align the data to 8 bytes, padding with spaces
        ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (HostTensor t : tensors.values()) {
            for (float v : t.data()) {
                out.putFloat(v);
            }
        }
        return out.array();
    }
}
