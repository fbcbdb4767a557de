package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.testing.ReadmeBlocks;
import org.layers4j.testing.ReadmeBlocks.Block;

/**
 * Every {@code ```java} block of README.md ({@link ReadmeBlocks}) compiles against core, cpu and onnx and runs
 * as printed, on the files of {@code examples/}; {@code ```java spark} blocks are run by the spark module's
 * {@code ReadmeSparkExampleTest}, and no other marker is allowed.
 */
class ReadmeExamplesTest {
    @TempDir
    Path work;

    @TestFactory
    Stream<DynamicTest> readmeJavaBlocksCompileAndRun() throws IOException {
        Path root = ReadmeBlocks.repoRoot();
        List<Block> blocks = ReadmeBlocks.javaBlocks(root);
        assertTrue(blocks.size() >= 5, "README.md has " + blocks.size() + " java blocks");
        for (Block b : blocks) {
            assertTrue(b.info().equals("java") || b.info().equals("java spark"),
                    "README.md:" + b.line() + ": unknown marker '" + b.info() + "' (java, java spark)");
        }
        return blocks.stream().filter(b -> b.info().equals("java")).map(b -> DynamicTest.dynamicTest(
                "README.md:" + b.line(), () -> ReadmeBlocks.compileAndRun(root, b, work, List.of())));
    }
}
