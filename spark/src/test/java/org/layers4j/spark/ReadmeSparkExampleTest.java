package org.layers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.testing.ReadmeBlocks;
import org.layers4j.testing.ReadmeBlocks.Block;

/**
 * README.md's Spark example ({@code ```java spark}) compiles against the spark module's classpath and runs as
 * printed (a local Spark session scoring the LeNet model file of {@code examples/}), in a JVM with the options
 * Spark needs on Java 17 ({@code spark.jvm.flags} of spark/pom.xml, handed over as {@code layers4jSparkJvmFlags}).
 */
class ReadmeSparkExampleTest {
    @TempDir
    Path work;

    @TestFactory
    Stream<DynamicTest> readmeSparkBlockRuns() throws IOException {
        Path root = ReadmeBlocks.repoRoot();
        List<Block> blocks = ReadmeBlocks.javaBlocks(root).stream().filter(b -> b.info().equals("java spark")).toList();
        assertEquals(1, blocks.size(), "README.md's Spark section has one runnable Java example");
        List<String> flags = Arrays.stream(System.getProperty("layers4jSparkJvmFlags", "").trim().split("\\s+"))
                .filter(s -> !s.isEmpty()).toList();
        return blocks.stream().map(b -> DynamicTest.dynamicTest("README.md:" + b.line(),
                () -> {
                    String out = ReadmeBlocks.compileAndRun(root, b, work, flags);
                    // show() prints the scores column: a header and one row of 10 logits per image
                    assertTrue(out.contains("|scores"), out);
                    assertEquals(5, out.lines().filter(l -> l.startsWith("|[") && l.split(",").length == 10).count(), out);
                }));
    }
}
