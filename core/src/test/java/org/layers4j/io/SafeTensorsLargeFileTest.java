package org.layers4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: a large file is streamed tensor by tensor, so reading needs little more heap than the tensors;
 * a file whose tensors cannot fit the heap is an IOException naming the sizes, never an OutOfMemoryError.
 */
class SafeTensorsLargeFileTest {

    /** A file of one F32 tensor [count] whose data is sparse zeros but for the last element, 1.5. */
    static Path file(Path dir, String name, long count) throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + count + "],\"data_offsets\":[0," + count * 4 + "]}}";
        while ((header.length() + 8) % 8 != 0) {
            header += " ";
        }
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
            ch.write(len, 0);
            ch.write(ByteBuffer.wrap(h), 8);
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1.5f), 8 + h.length + count * 4 - 4);
        }
        return p;
    }

    private static String child(String xmx, Path file) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-Xmx" + xmx, "-cp", System.getProperty("java.class.path"),
                SafeTensorsHeapProbe.class.getName(), file.toString()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void aHundredMegabyteTensorReadsWithLittleMoreHeapThanItself(@TempDir Path dir) throws Exception {
        // 100 MB of floats under a 160 MB heap: reading the whole file into one array first needs > 200 MB
        String text = child("160m", file(dir, "big.safetensors", 25_000_000));
        assertTrue(text.contains("read=ok elements=25000000 last=1.5"), text);
    }

    @Test
    void aFileLargerThanTheHeapIsAnIOExceptionNamingTheSizes(@TempDir Path dir) throws Exception {
        // 2.5 GB (sparse on disk) under a 64 MB heap
        String text = child("64m", file(dir, "huge.safetensors", 625_000_000));
        assertTrue(text.contains("read=IOException") && text.contains("2500000000 bytes of heap")
                && text.contains("needs about -Xmx6g"), text);
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        assertEquals("path", assertThrows(NullPointerException.class, () -> SafeTensors.read(null)).getMessage());
        assertEquals("bytes", assertThrows(NullPointerException.class, () -> SafeTensors.parse(null)).getMessage());
        assertEquals("path", assertThrows(NullPointerException.class,
                () -> Models.load(null, null)).getMessage());
        assertEquals("backend", assertThrows(NullPointerException.class,
                () -> Models.load(Path.of("x.safetensors"), null)).getMessage());
    }

    @Test
    void aTruncatedFileIsAnIOException(@TempDir Path dir) throws Exception {
        Path p = file(dir, "t.safetensors", 1000);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10);
        }
        IOException e = assertThrows(IOException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().contains("t.safetensors"), e.getMessage());
    }
}
