package org.layers4j.io;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonStreamContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.internal.Json;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * (tensor name to {@code dtype}, {@code shape}, {@code data_offsets}, plus an optional
 * {@code __metadata__} map of strings), then the raw little-endian data, which the tensors must cover
 * exactly. This is how PyTorch state_dicts reach layers4j ({@link StateDicts}) and how the
 * conformance fixtures are stored.
 *
 * <p>Reading converts to the two host dtypes: F32, F16, BF16 and F64 become {@link DType#FLOAT32}
 * (F64 rounded to nearest), I64, I32, I16, I8, U8 and BOOL become {@link DType#INT64}. Writing stores
 * each tensor by its dtype, as F32 or I64.
 */
public final class SafeTensors {
    private static final String METADATA = "__metadata__";

    /** The dtypes {@link #parse} accepts, with their sizes in bytes. */
    private enum FileDType {
        F32(4, true), F16(2, true), BF16(2, true), F64(8, true),
        I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

        final int bytes;
        final boolean floating;

        FileDType(int bytes, boolean floating) {
            this.bytes = bytes;
            this.floating = floating;
        }

        static FileDType of(String name) {
            for (FileDType d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /** The supported file dtypes, as listed in error messages. */
    static final String SUPPORTED = "F32, F16, BF16, F64 (read as float32), I64, I32, I16, I8, U8, BOOL (read as int64)";

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

    /** The largest header accepted (the reference implementation's limit): 100 MB. */
    static final long MAX_HEADER = 100_000_000;
    /** Tensor data is read through a buffer of this many bytes, converted as it arrives. */
    private static final int CHUNK = 1 << 20;

    /**
     * Reads a file; an IOException naming the path when it cannot be read or is not valid safetensors.
     * The header is checked in full first; then each tensor is streamed from the file into its own array,
     * so reading needs little more heap than the tensors themselves (never one array for the whole file).
     */
    public static Contents read(Path path) throws IOException {
        java.util.Objects.requireNonNull(path, "path");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IllegalArgumentException("not a safetensors file: " + size + " bytes, less than the 8-byte header length");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long headerLength = len.getLong(0);
            checkHeaderLength(headerLength, size);
            byte[] headerBytes = new byte[(int) headerLength];
            readFully(ch, ByteBuffer.wrap(headerBytes), 8);
            long dataStart = 8 + headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = entries(header(headerBytes, 0, (int) headerLength), size - dataStart, metadata);
            long heapBytes = 0;
            for (Entry e : entries) {
                heapBytes += (long) e.count * (e.dtype.floating ? Float.BYTES : Long.BYTES);
            }
            long maxHeap = Runtime.getRuntime().maxMemory();
            if (heapBytes > maxHeap) {
                throw new IOException(path + ": its " + entries.size() + " tensors need " + heapBytes
                        + " bytes of heap as float32 / int64, more than the JVM's maximum heap of " + maxHeap
                        + " bytes (-Xmx); loading them as a model needs about -Xmx" + xmxFor(heapBytes)
                        + " (the tensors, and the model built from them)");
            }
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                float[] f;
                long[] l;
                try {
                    f = e.dtype.floating ? new float[e.count] : null;
                    l = e.dtype.floating ? null : new long[e.count];
                } catch (OutOfMemoryError oom) {
                    tensors.clear();
                    throw new IOException(path + ": not enough heap for tensor '" + e.name + "' ("
                            + (long) e.count * (e.dtype.floating ? Float.BYTES : Long.BYTES) + " bytes) with the "
                            + heapBytes + " bytes the file's tensors need in all; maximum heap " + maxHeap + " bytes;"
                            + " loading them as a model needs about -Xmx" + xmxFor(heapBytes));
                }
                long pos = dataStart + e.begin;
                int at = 0;
                while (at < e.count) {
                    int n = (int) Math.min(e.count - at, CHUNK / e.dtype.bytes);
                    chunk.clear().limit(n * e.dtype.bytes);
                    readFully(ch, chunk, pos);
                    chunk.flip();
                    if (f != null) {
                        decodeFloats(e, chunk, f, at, n);
                    } else {
                        decodeLongs(e, chunk, l, at, n);
                    }
                    pos += (long) n * e.dtype.bytes;
                    at += n;
                }
                tensors.put(e.name, f != null ? new HostTensor(e.shape, f) : HostTensor.ofLongs(e.shape, l));
            }
            return new Contents(tensors, metadata);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** A -Xmx value for loading a model of {@code tensorBytes}: twice that (the file's copy and the model's), in GiB. */
    static String xmxFor(long tensorBytes) {
        return (2 * tensorBytes + (1L << 30) - 1) / (1L << 30) + 1 + "g";
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new java.io.EOFException("the file ended at byte " + pos + " while reading it (was it truncated?)");
            }
            pos += r;
        }
    }

    private static void checkHeaderLength(long headerLength, long fileLength) {
        if (headerLength < 2 || headerLength > fileLength - 8) {
            throw new IllegalArgumentException("header length " + headerLength + " does not fit a file of " + fileLength + " bytes");
        }
        if (headerLength > MAX_HEADER) {
            throw new IllegalArgumentException("header length " + headerLength + " is more than the " + MAX_HEADER
                    + " bytes a safetensors header may have");
        }
    }

    /** One header entry, validated, before its data is read. */
    private record Entry(String name, FileDType dtype, Shape shape, int count, long begin, long end) {
    }

    /** Parses a whole file's bytes; IllegalArgumentException when they are not valid safetensors. */
    public static Contents parse(byte[] bytes) {
        java.util.Objects.requireNonNull(bytes, "bytes");
        if (bytes.length < 8) {
            throw new IllegalArgumentException("not a safetensors file: " + bytes.length + " bytes, less than the 8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buf.getLong(0);
        checkHeaderLength(headerLength, bytes.length);
        int dataStart = 8 + (int) headerLength;
        long dataLength = bytes.length - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = entries(header(bytes, 8, (int) headerLength), dataLength, metadata);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            ByteBuffer data = buf.slice(dataStart + (int) e.begin, (int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
            if (e.dtype.floating) {
                float[] f = new float[e.count];
                decodeFloats(e, data, f, 0, e.count);
                tensors.put(e.name, new HostTensor(e.shape, f));
            } else {
                long[] l = new long[e.count];
                decodeLongs(e, data, l, 0, e.count);
                tensors.put(e.name, HostTensor.ofLongs(e.shape, l));
            }
        }
        return new Contents(tensors, metadata);
    }

    /** The header's entries, each validated, in file order, after checking they tile the data; fills metadata. */
    private static List<Entry> entries(Map<String, Object> header, long dataLength, Map<String, String> metadata) {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                metadata(e.getValue(), metadata);
            } else {
                entries.add(entry(e.getKey(), e.getValue(), dataLength));
            }
        }
        checkCoverage(entries, dataLength);
        return entries;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> header(byte[] bytes, int offset, int length) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("header is not valid UTF-8");
        }
        Object header;
        try {
            header = Json.parse(text);
        } catch (IllegalArgumentException e) {
            if (e.getCause() instanceof JsonParseException p) {
                String msg = p.getOriginalMessage();
                if (msg != null && msg.startsWith("Duplicate field")) {
                    throw new IllegalArgumentException(duplicateMessage(p));
                }
                throw new IllegalArgumentException("header is not valid JSON: " + msg);
            }
            throw new IllegalArgumentException("header is not valid JSON: " + e.getMessage());
        }
        if (!(header instanceof Map)) {
            throw new IllegalArgumentException("header is not a JSON object");
        }
        return (Map<String, Object>) header;
    }

    /** "duplicate tensor 'x' in the header", or, for a key repeated inside an entry, names the entry. */
    private static String duplicateMessage(JsonParseException e) {
        JsonStreamContext ctx = e.getProcessor() == null ? null : e.getProcessor().getParsingContext();
        String key = ctx == null ? null : ctx.getCurrentName();
        JsonStreamContext parent = ctx == null ? null : ctx.getParent();
        if (key != null && parent != null && parent.inRoot()) {
            return "tensor '" + key + "' appears more than once in the header; tensor names must be unique";
        }
        if (key != null && parent != null && parent.getParent() != null && parent.getParent().inRoot()) {
            String owner = parent.getCurrentName();
            return (METADATA.equals(owner) ? METADATA : "tensor '" + owner + "'") + " has the key '" + key
                    + "' more than once in the header; keys must be unique";
        }
        return "the header has a duplicate key: " + e.getOriginalMessage();
    }

    private static void metadata(Object node, Map<String, String> out) {
        if (node == null) {
            return;
        }
        if (!(node instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(METADATA + " is " + Json.write(node) + "; it must be a JSON object of strings");
        }
        m.forEach((k, v) -> {
            if (!(v instanceof String str)) {
                throw new IllegalArgumentException(METADATA + " value '" + k + "' is " + Json.write(v)
                        + "; metadata values must be JSON strings");
            }
            out.put((String) k, str);
        });
    }

    private static Entry entry(String name, Object infoValue, long dataLength) {
        String what = "tensor '" + name + "'";
        if (!(infoValue instanceof Map<?, ?> info)) {
            throw new IllegalArgumentException(what + " is " + Json.write(infoValue) + " in the header; it must be an object with dtype, shape and data_offsets");
        }
        for (String key : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!info.containsKey(key)) {
                throw new IllegalArgumentException(what + " has no '" + key + "'; every tensor needs dtype, shape and data_offsets");
            }
        }
        Object dtypeNode = info.get("dtype");
        FileDType dtype = dtypeNode instanceof String ds ? FileDType.of(ds) : null;
        if (dtype == null) {
            throw new IllegalArgumentException(what + " has dtype " + (dtypeNode instanceof String ds ? ds : Json.write(dtypeNode))
                    + ", which is not supported; supported: " + SUPPORTED);
        }
        Object shapeValue = info.get("shape");
        String shapeNode = Json.write(shapeValue);
        if (!(shapeValue instanceof List<?> shapeList)) {
            throw new IllegalArgumentException(what + " has shape " + shapeNode + "; a shape must be a JSON list of non-negative integers");
        }
        int[] dims = new int[shapeList.size()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            Object d = shapeList.get(i);
            if (!(d instanceof Long dl) || dl < 0 || dl > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " has shape " + shapeNode + ": entry " + i + " (" + Json.write(d)
                        + ") is not a non-negative integer that fits an int");
            }
            dims[i] = (int) (long) dl;
            count *= dims[i]; // stays below 2^62: checked against 2^31-1 after each factor
            if (count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " has shape " + shapeNode + ", more than 2^31-1 elements");
            }
        }
        Object offsetsValue = info.get("data_offsets");
        String offsets = Json.write(offsetsValue);
        if (!(offsetsValue instanceof List<?> ol) || ol.size() != 2 || !offset(ol.get(0)) || !offset(ol.get(1))) {
            throw new IllegalArgumentException(what + " has data_offsets " + offsets + "; they must be two non-negative integers [begin, end]");
        }
        long begin = (Long) ol.get(0);
        long end = (Long) ol.get(1);
        if (end < begin) {
            throw new IllegalArgumentException(what + " has data_offsets " + offsets + " out of order: end before begin");
        }
        if (end > dataLength) {
            throw new IllegalArgumentException(what + " has data_offsets " + offsets + " past the end of the data ("
                    + dataLength + " bytes)");
        }
        long expected = count * dtype.bytes;
        if (end - begin != expected) {
            throw new IllegalArgumentException(what + " has data_offsets " + offsets + " holding " + (end - begin)
                    + " bytes, but shape " + Arrays.toString(dims) + " of " + dtype + " needs " + expected);
        }
        return new Entry(name, dtype, Shape.of(dims), (int) count, begin, end);
    }

    private static boolean offset(Object n) {
        return n instanceof Long l && l >= 0;
    }

    /** The tensors' byte ranges, sorted by offset, must tile [0, dataLength) with no overlap and no hole. */
    private static void checkCoverage(List<Entry> entries, long dataLength) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin < at) {
                throw new IllegalArgumentException("tensor '" + e.name + "' has data_offsets [" + e.begin + ", " + e.end
                        + "] overlapping tensor '" + previous.name + "' [" + previous.begin + ", " + previous.end + "]");
            }
            if (e.begin > at) {
                throw new IllegalArgumentException("tensor '" + e.name + "' has data_offsets [" + e.begin + ", " + e.end
                        + "], leaving bytes [" + at + ", " + e.begin + ") of the data unused; the tensors must cover the data exactly");
            }
            at = e.end;
            previous = e;
        }
        if (at != dataLength) {
            throw new IllegalArgumentException("the data has " + (dataLength - at) + " trailing bytes after "
                    + (previous == null ? "the header (the file holds no tensors)" : "the last tensor '" + previous.name + "'")
                    + "; the tensors must cover the data exactly");
        }
    }

    /** Converts the n elements at the start of b (absolute indices from 0) into out[at, at + n). */
    private static void decodeFloats(Entry e, ByteBuffer b, float[] out, int at, int n) {
        switch (e.dtype) {
            case F32 -> b.asFloatBuffer().get(out, at, n);
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = (float) b.getDouble(8 * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = halfToFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = bfloat16ToFloat(b.getShort(2 * i));
                }
            }
            default -> throw new AssertionError(e.dtype);
        }
    }

    /** Converts the n elements at the start of b (absolute indices from 0) into out[at, at + n). */
    private static void decodeLongs(Entry e, ByteBuffer b, long[] out, int at, int n) {
        switch (e.dtype) {
            case I64 -> b.asLongBuffer().get(out, at, n);
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = b.getInt(4 * i);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = b.getShort(2 * i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = b.get(i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = b.get(i) & 0xff;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    byte v = b.get(i);
                    if (v != 0 && v != 1) {
                        throw new IllegalArgumentException("tensor '" + e.name + "' is BOOL but element " + (at + i)
                                + " is the byte " + (v & 0xff) + "; a BOOL byte must be 0 or 1");
                    }
                    out[at + i] = v;
                }
            }
            default -> throw new AssertionError(e.dtype);
        }
    }

    /**
     * IEEE 754 binary16 to float32, exactly (every half is a float): subnormals, signed zeros,
     * infinities, and NaNs with their payload shifted into the float's mantissa.
     */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal: mant * 2^-24; normalize so the leading 1 moves into the implicit bit
            int shift = Integer.numberOfLeadingZeros(mant) - 21; // 1..10: places to the implicit bit (bit 10)
            int e = 1 - 15 - shift + 127;
            return Float.intBitsToFloat(sign | (e << 23) | (((mant << shift) & 0x3ff) << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** bfloat16 to float32: its bits are the upper half of a float32's. */
    static float bfloat16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    public static void write(Path path, Map<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
        Files.write(path, serialize(tensors, metadata));
    }

    /** The bytes of a safetensors file holding {@code tensors} in map order, F32 or I64 by their dtype. */
    public static byte[] serialize(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("a tensor must not be named " + METADATA);
            }
            HostTensor t = e.getValue();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", t.dtype() == DType.INT64 ? "I64" : "F32");
            info.put("shape", t.shape().dims());
            long size = (long) t.dtype().bytes() * t.shape().size();
            info.put("data_offsets", List.of(offset, offset + size));
            header.put(e.getKey(), info);
            offset += size;
        }
        if (metadata != null && !metadata.isEmpty()) {
            header.put(METADATA, new LinkedHashMap<>(metadata));
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // align the data to 8 bytes, padding with spaces
        if (8L + padded + offset > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the tensors need " + offset + " bytes, more than one byte array holds");
        }
        ByteBuffer out = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (HostTensor t : tensors.values()) {
            if (t.dtype() == DType.INT64) {
                for (long v : t.longs()) {
                    out.putLong(v);
                }
            } else {
                for (float v : t.data()) {
                    out.putFloat(v);
                }
            }
        }
        return out.array();
    }
}
