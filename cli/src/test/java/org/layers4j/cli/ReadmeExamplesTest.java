package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the repository's README.md, read from README.md itself (so the two cannot
 * drift): compiled against the test classpath (core, cpu, onnx) and run as a program of its own in a fresh
 * JVM whose working directory holds a copy of the repository's {@code examples/}. A block's leading
 * {@code import} lines are its imports (a few common ones are added); the rest is the body of
 * {@code main(String[]) throws Exception}. A block marked {@code ```java no-run} is neither compiled nor run:
 * only the Spark block is (Spark is not on this module's classpath; the spark module tests that API).
 */
class ReadmeExamplesTest {
    private static final List<String> COMMON_IMPORTS = List.of(
            "java.nio.file.Path", "java.util.List", "java.util.Map",
            "org.layers4j.Backends", "org.layers4j.Shape", "org.layers4j.Tensor", "org.layers4j.spi.Backend",
            "org.layers4j.nn.Module");

    record Block(int line, String info, String code) {
    }

    static Path repoRoot() {
        String root = System.getProperty("layers4jRepoRoot");
        if (root != null && Files.isRegularFile(Paths.get(root, "README.md"))
                && Files.isDirectory(Paths.get(root, "examples"))) {
            return Paths.get(root);
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("README.md")) && Files.isDirectory(p.resolve("examples"))) {
                return p;
            }
        }
        throw new IllegalStateException("README.md and examples/ not found above " + Paths.get("").toAbsolutePath());
    }

    static List<Block> javaBlocks(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (!l.startsWith("```")) {
                continue;
            }
            String info = l.substring(3).strip();
            int start = i;
            StringBuilder code = new StringBuilder();
            for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                code.append(lines.get(i)).append('\n');
            }
            if (info.equals("java") || info.startsWith("java ")) {
                blocks.add(new Block(start + 1, info, code.toString()));
            }
        }
        return blocks;
    }

    static String program(String className, String code) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        boolean header = true;
        for (String line : code.split("\n", -1)) {
            String s = line.strip();
            if (header && (s.startsWith("import ") || s.isEmpty())) {
                imports.append(line).append('\n');
                continue;
            }
            header = false;
            body.append("        ").append(line).append('\n');
        }
        StringBuilder src = new StringBuilder();
        for (String imp : COMMON_IMPORTS) {
            src.append("import ").append(imp).append(";\n");
        }
        src.append(imports);
        src.append("public class ").append(className).append(" {\n")
                .append("    public static void main(String[] args) throws Exception {\n")
                .append(body).append("    }\n}\n");
        return src.toString();
    }

    @TempDir
    Path work;

    @TestFactory
    Stream<DynamicTest> readmeJavaBlocksCompileAndRun() throws IOException {
        Path root = repoRoot();
        List<Block> blocks = javaBlocks(Files.readAllLines(root.resolve("README.md"), StandardCharsets.UTF_8));
        assertTrue(blocks.size() >= 5, "README.md has " + blocks.size() + " java blocks");
        List<Block> skipped = blocks.stream().filter(b -> !b.info().equals("java")).toList();
        for (Block b : skipped) {
            assertEquals("java no-run", b.info(), "README.md:" + b.line() + ": unknown marker");
            assertTrue(b.code().contains("LayersTransformer"), "README.md:" + b.line()
                    + ": only the Spark block may be marked no-run");
        }
        return blocks.stream().filter(b -> b.info().equals("java"))
                .map(b -> DynamicTest.dynamicTest("README.md:" + b.line(), () -> compileAndRun(root, b)));
    }

    private void compileAndRun(Path root, Block block) throws Exception {
        String className = "ReadmeBlock" + block.line();
        Path dir = Files.createDirectories(work.resolve(className));
        Path src = dir.resolve("src/" + className + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, program(className, block.code()));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String classpath = System.getProperty("java.class.path");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        Boolean ok = javac.getTask(diagnostics, null, null,
                List.of("-classpath", classpath, "-d", classes.toString(), "-proc:none", "-Xlint:none"),
                null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(src))
                .call();
        assertTrue(ok, "README.md:" + block.line() + " does not compile:\n" + diagnostics);

        // the working directory of the program: a copy of examples/
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        Path examples = Files.createDirectories(cwd.resolve("examples"));
        try (Stream<Path> files = Files.list(root.resolve("examples"))) {
            for (Path f : files.toList()) {
                Files.copy(f, examples.resolve(f.getFileName()));
            }
        }
        Path log = dir.resolve("output.txt");
        Process p = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx2g", "-Dlayers4j.backend=cpu",
                "-cp", classes + File.pathSeparator + classpath, className)
                .directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(finished, "README.md:" + block.line() + " did not finish in 300 s:\n" + output);
        assertEquals(0, p.exitValue(), "README.md:" + block.line() + " failed:\n" + output);
        assertFalse(output.contains("Exception"), "README.md:" + block.line() + ":\n" + output);
    }
}
