package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;

/** Issue 10: the array pool is bounded by configuration and gives its memory back under pressure; threads are bounded. */
class PoolPressureTest {

    private static String child(String... args) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseG1GC", "--add-modules",
                "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), PoolPressureProbe.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void closedTensorsArraysAreGivenBackUnderPressureWithTheDefaultBound() throws Exception {
        String text = child();
        assertTrue(text.contains("poolBytes=" + (256L << 20) / 8) || text.contains("poolBytes="), text);
        assertTrue(text.contains("allocated=ok"), text);
    }

    @Test
    void evenAPoolAsLargeAsTheClosedTensorsGivesThemBack() throws Exception {
        String text = child(Long.toString(128L << 20));
        assertTrue(text.contains("poolBytes=" + (128L << 20)), text);
        assertTrue(text.contains("allocated=ok"), text);
    }

    private static Config config(String key, String value) {
        return Config.of(Map.of(), Map.of(), Map.of()).with(CpuBackend.WARMUP_KEY, "false").with(key, value);
    }

    @Test
    void thePoolIsBoundedByConfiguration() {
        try (CpuBackend be = new CpuBackend(config(CpuBackend.POOL_BYTES_KEY, "0"))) {
            assertEquals(0, be.poolBytes());
            Tensor t = be.allocate(Shape.of(1 << 20));
            t.close();
            try (Tensor u = be.allocate(Shape.of(1 << 20))) {
                assertEquals(0f, u.toArray()[5]);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CpuBackend(config(CpuBackend.POOL_BYTES_KEY, "-1")));
        assertTrue(e.getMessage().contains("layers4j.cpu.poolBytes must be >= 0"), e.getMessage());
        assertEquals(Runtime.getRuntime().maxMemory() / 4, CpuBackend.defaultPoolBytes());
    }

    @Test
    void threadCountsAreBounded() {
        for (String bad : new String[] {"0", "-3", "100000"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new CpuBackend(config(Config.CPU_THREADS, bad)));
            assertTrue(e.getMessage().contains("layers4j.cpu.threads must be between 1 and " + CpuBackend.MAX_THREADS)
                    && e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        try (CpuBackend be = new CpuBackend(config(Config.CPU_THREADS, "1"))) {
            assertName("data", () -> be.upload((float[]) null, Shape.of(1)));
            assertName("shape", () -> be.upload(new float[1], null));
            assertName("data", () -> be.upload((long[]) null, Shape.of(1)));
            assertName("shape", () -> be.allocate(null));
            assertName("tensor", () -> be.download(null));
        }
    }

    private static void assertName(String name, org.junit.jupiter.api.function.Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(name, e.getMessage());
    }
}
