package org.layers4j.testing;

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

/**
 * The {@code ```java} blocks of the repository's README.md, read from README.md itself (so the two cannot
 * drift), as programs: a block's leading {@code import} lines are its imports (a few common ones are added),
 * the rest the body of {@code main(String[]) throws Exception}. {@link #compileAndRun} compiles one against the
 * test classpath and runs it in a fresh JVM whose working directory holds a copy of the repository's
 * {@code examples/}. A block's info string says which module's tests run it: {@code java} (the cli module's,
 * which has core, cpu and onnx), {@code java spark} (the spark module's).
 */
public final class ReadmeBlocks {
    private static final List<String> COMMON_IMPORTS = List.of(
            "java.nio.file.Path", "java.util.List", "java.util.Map",
            "org.layers4j.Backends", "org.layers4j.Shape", "org.layers4j.Tensor", "org.layers4j.spi.Backend",
            "org.layers4j.nn.Module");

    private ReadmeBlocks() {
    }

    /** A block: its first line in README.md, the fence's info string ({@code java}, {@code java spark}), the code. */
    public record Block(int line, String info, String code) {
    }

    /** The repository root: the directory holding README.md and examples/. */
    public static Path repoRoot() {
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

    /** Every java block of README.md. */
    public static List<Block> javaBlocks(Path root) throws IOException {
        return javaBlocks(Files.readAllLines(root.resolve("README.md"), StandardCharsets.UTF_8));
    }

    /** Every java block of the given README lines. */
    public static List<Block> javaBlocks(List<String> lines) {
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

    /** A block as a class {@code className} with a main method. */
    public static String program(String className, String code) {
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

    /**
     * Compiles a block in {@code work} and runs it in a fresh JVM (working directory: a copy of examples/,
     * JVM options {@code jvmFlags} besides the Vector API module and the cpu backend); fails the test when it
     * does not compile, exits non-zero, prints an exception or takes more than 300 s; returns what it printed.
     */
    public static String compileAndRun(Path root, Block block, Path work, List<String> jvmFlags) throws Exception {
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
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx2g", "-Dlayers4j.backend=cpu"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", classes + File.pathSeparator + classpath, className));
        Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(finished, "README.md:" + block.line() + " did not finish in 300 s:\n" + output);
        assertEquals(0, p.exitValue(), "README.md:" + block.line() + " failed:\n" + output);
        assertFalse(output.contains("Exception"), "README.md:" + block.line() + ":\n" + output);
        return output;
    }
}
