package org.layers4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed headers and data regions: each is an IllegalArgumentException naming the tensor and the rule. */
class SafeTensorsRejectionTest {

    /** A file with this header (single quotes stand for double quotes) and {@code dataBytes} zero bytes of data. */
    private static byte[] file(String header, int dataBytes) {
        byte[] h = header.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    private static String rejected(String header, int dataBytes) {
        byte[] bytes = file(header, dataBytes);
        return assertThrows(IllegalArgumentException.class, () -> SafeTensors.parse(bytes)).getMessage();
    }

    private static String f32(String name, String shape, String offsets) {
        return "'" + name + "':{'dtype':'F32','shape':" + shape + ",'data_offsets':" + offsets + "}";
    }

    @Test
    void overlappingTensorsAreRejected() {
        assertEquals("tensor 'b' has data_offsets [4, 12] overlapping tensor 'a' [0, 8]",
                rejected("{" + f32("a", "[2]", "[0,8]") + "," + f32("b", "[2]", "[4,12]") + "}", 12));
        assertEquals("tensor 'b' has data_offsets [0, 8] overlapping tensor 'a' [0, 8]",
                rejected("{" + f32("a", "[2]", "[0,8]") + "," + f32("b", "[2]", "[0,8]") + "}", 8));
    }

    @Test
    void offsetsWithEndBeforeBeginAreRejected() {
        assertEquals("tensor 'a' has data_offsets [8,4] out of order: end before begin",
                rejected("{" + f32("a", "[1]", "[8,4]") + "}", 8));
    }

    @Test
    void headerOrderNeedNotBeOffsetOrder() {
        byte[] bytes = file("{" + f32("b", "[1]", "[4,8]") + "," + f32("a", "[1]", "[0,4]") + "}", 8);
        assertEquals(java.util.List.of("b", "a"), java.util.List.copyOf(SafeTensors.parse(bytes).tensors().keySet()));
    }

    @Test
    void holesAndTrailingBytesAreRejected() {
        assertEquals("tensor 'b' has data_offsets [8, 12], leaving bytes [4, 8) of the data unused; the tensors must cover the data exactly",
                rejected("{" + f32("a", "[1]", "[0,4]") + "," + f32("b", "[1]", "[8,12]") + "}", 12));
        assertEquals("tensor 'a' has data_offsets [4, 8], leaving bytes [0, 4) of the data unused; the tensors must cover the data exactly",
                rejected("{" + f32("a", "[1]", "[4,8]") + "}", 8));
        assertEquals("the data has 4 trailing bytes after the last tensor 'a'; the tensors must cover the data exactly",
                rejected("{" + f32("a", "[1]", "[0,4]") + "}", 8));
        assertEquals("the data has 3 trailing bytes after the header (the file holds no tensors); the tensors must cover the data exactly",
                rejected("{}", 3));
    }

    @Test
    void offsetsPastTheDataOrNotMatchingTheShapeAreRejected() {
        assertEquals("tensor 'a' has data_offsets [0,16] past the end of the data (8 bytes)", rejected("{" + f32("a", "[4]", "[0,16]") + "}", 8));
        assertEquals("tensor 'a' has data_offsets [0,4] holding 4 bytes, but shape [2] of F32 needs 8",
                rejected("{" + f32("a", "[2]", "[0,4]") + "}", 4));
        assertEquals("tensor 'a' has data_offsets [0,2] holding 2 bytes, but shape [2] of F16 needs 4",
                rejected("{'a':{'dtype':'F16','shape':[2],'data_offsets':[0,2]}}", 2));
    }

    @Test
    void duplicateTensorNamesAreRejected() {
        assertEquals("tensor 'a' appears more than once in the header; tensor names must be unique",
                rejected("{" + f32("a", "[1]", "[0,4]") + "," + f32("a", "[1]", "[4,8]") + "}", 8));
        assertEquals("tensor 'a' has the key 'shape' more than once in the header; keys must be unique",
                rejected("{'a':{'dtype':'F32','shape':[1],'shape':[2],'data_offsets':[0,4]}}", 4));
        assertEquals("__metadata__ has the key 'op' more than once in the header; keys must be unique",
                rejected("{'__metadata__':{'op':'a','op':'b'}}", 0));
    }

    @Test
    void shapeEntriesMustBeNonNegativeIntsFittingAnInt() {
        for (String bad : new String[] {"4294967297", "2.5", "'3'", "-1", "null", "3.0", "true", "[1]"}) {
            String shape = "[1," + bad + "]";
            String json = shape.replace('\'', '"');
            assertEquals("tensor 'a' has shape " + json + ": entry 1 (" + json.substring(3, json.length() - 1)
                    + ") is not a non-negative integer that fits an int", rejected("{" + f32("a", shape, "[0,4]") + "}", 4), bad);
        }
        assertEquals("tensor 'a' has shape 3; a shape must be a JSON list of non-negative integers",
                rejected("{" + f32("a", "3", "[0,4]") + "}", 4));
    }

    @Test
    void elementCountsOverflowingAnIntAreRejected() {
        assertEquals("tensor 'a' has shape [65536,32768], more than 2^31-1 elements",
                rejected("{" + f32("a", "[65536,32768]", "[0,0]") + "}", 0));
        assertEquals("tensor 'a' has shape [2147483647,2147483647,2147483647], more than 2^31-1 elements",
                rejected("{" + f32("a", "[2147483647,2147483647,2147483647]", "[0,0]") + "}", 0));
    }

    @Test
    void missingFieldsAreRejected() {
        assertEquals("tensor 'a' has no 'shape'; every tensor needs dtype, shape and data_offsets",
                rejected("{'a':{'dtype':'F32','data_offsets':[0,4]}}", 4));
        assertEquals("tensor 'a' has no 'dtype'; every tensor needs dtype, shape and data_offsets",
                rejected("{'a':{'shape':[1],'data_offsets':[0,4]}}", 4));
        assertEquals("tensor 'a' has no 'data_offsets'; every tensor needs dtype, shape and data_offsets",
                rejected("{'a':{'dtype':'F32','shape':[1]}}", 4));
        assertEquals("tensor 'a' is [1] in the header; it must be an object with dtype, shape and data_offsets",
                rejected("{'a':[1]}", 0));
        assertEquals("tensor 'a' has dtype 4, which is not supported; supported: " + SafeTensors.SUPPORTED,
                rejected("{'a':{'dtype':4,'shape':[1],'data_offsets':[0,4]}}", 4));
    }

    @Test
    void dataOffsetsMustBeTwoNonNegativeIntegers() {
        for (String bad : new String[] {"[0]", "[0,4,8]", "[0,'4']", "[0,4.0]", "[-4,0]", "'0,4'", "null", "[0,null]",
            "[0,18446744073709551620]"}) {
            assertEquals("tensor 'a' has data_offsets " + bad.replace('\'', '"') + "; they must be two non-negative integers [begin, end]",
                    rejected("{" + f32("a", "[1]", bad) + "}", 4), bad);
        }
    }

    @Test
    void metadataValuesMustBeStrings() {
        assertEquals("__metadata__ value 'n' is 1; metadata values must be JSON strings", rejected("{'__metadata__':{'op':'x','n':1}}", 0));
        assertEquals("__metadata__ value 'l' is [\"a\"]; metadata values must be JSON strings", rejected("{'__metadata__':{'l':['a']}}", 0));
        assertEquals("__metadata__ value 'z' is null; metadata values must be JSON strings", rejected("{'__metadata__':{'z':null}}", 0));
        assertEquals("__metadata__ is [\"a\"]; it must be a JSON object of strings", rejected("{'__metadata__':['a']}", 0));
        assertTrue(SafeTensors.parse(file("{'__metadata__':null}", 0)).metadata().isEmpty());
    }

    @Test
    void brokenHeadersAreRejected() {
        assertTrue(rejected("{'a':", 0).startsWith("header is not valid JSON"));
        assertTrue(rejected("{} {}", 0).startsWith("header is not valid JSON"));
        assertEquals("header is not a JSON object", rejected("[1, 2]", 0));
        byte[] bad = file("{'\u00e9':1}", 0);
        bad[10] = (byte) 0xff; // an invalid UTF-8 byte inside the key
        assertEquals("header is not valid UTF-8", assertThrows(IllegalArgumentException.class, () -> SafeTensors.parse(bad)).getMessage());
        byte[] tooLong = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(9).array();
        assertEquals("header length 9 does not fit a file of 16 bytes",
                assertThrows(IllegalArgumentException.class, () -> SafeTensors.parse(tooLong)).getMessage());
    }

    @Test
    void readNamesThePath(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, file("{" + f32("a", "[1]", "[0,4]") + "}", 8));
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f));
        assertEquals(f + ": the data has 4 trailing bytes after the last tensor 'a'; the tensors must cover the data exactly", e.getMessage());
        assertTrue(e.getCause() instanceof IllegalArgumentException);
    }
}
