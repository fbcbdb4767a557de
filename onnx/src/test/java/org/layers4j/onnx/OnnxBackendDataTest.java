package org.layers4j.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.spi.Backend;

/**
 * ONNX's own backend test data (the apt package libonnx-testdata: {@code node}, {@code pytorch-converted},
 * {@code pytorch-operator}, {@code simple}, {@code real}) on the CPU backend: every case whose op types are all
 * supported runs, and must match each {@code output_*.pb} at ONNX's tolerances (rtol 1e-3, atol 1e-7). Each
 * skipped case is reported with its reason (op type, opset, data type or attribute not supported); the
 * report, with passed / total by op type, is printed and written to {@code target/onnx-backend-report.md}.
 * Cases listed in {@code onnx-backend-known-failures.txt} (with the reason each fails) are reported as
 * such; any other failure fails the test, and so does a listed case that passes (so the list stays true).
 */
class OnnxBackendDataTest {
    static final double RTOL = 1e-3;
    static final double ATOL = 1e-7;

    record Outcome(String status, String reason, List<String> ops) {
    }

    @Test
    void backendTestData() throws IOException {
        Path root = Path.of(System.getProperty("layers4jOnnxTestdata", "/usr/share/libonnx-testdata/data"));
        if (!Files.isDirectory(root)) {
            String why = "ONNX backend test data not found at " + root + " (install the apt package libonnx-testdata)";
            if (Boolean.getBoolean("layers4jOnnxTestdataRequired")) {
                throw new AssertionError(why + "; -Dlayers4jOnnxTestdataRequired=true (.ci/run) needs it");
            }
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        Map<String, String> known = knownFailures();
        Map<String, Outcome> outcomes = new TreeMap<>();
        Backend be = Backends.get("cpu");
        List<Path> cases = new ArrayList<>();
        for (String suite : List.of("node", "pytorch-converted", "pytorch-operator", "simple", "real")) {
            Path dir = root.resolve(suite);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().forEach(cases::add);
                }
            }
        }
        for (Path c : cases) {
            String name = root.relativize(c).toString();
            outcomes.put(name, runCase(c, be));
        }
        List<String> unexpected = new ArrayList<>();
        StringBuilder report = new StringBuilder("# ONNX backend test data on the CPU backend\n\n");
        Map<String, int[]> byOp = new TreeMap<>();
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        StringBuilder detail = new StringBuilder();
        for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
            Outcome o = e.getValue();
            String status = o.status();
            if (status.equals("FAIL") && known.containsKey(e.getKey())) {
                status = "KNOWN-FAILURE";
            } else if (status.equals("PASS") && known.containsKey(e.getKey())) {
                unexpected.add(e.getKey() + ": passes but is listed as a known failure (remove it from the list)");
            } else if (status.equals("FAIL")) {
                unexpected.add(e.getKey() + ": " + o.reason());
            }
            switch (o.status()) {
                case "PASS" -> passed++;
                case "FAIL" -> failed++;
                default -> skipped++;
            }
            if (!o.status().equals("SKIP")) {
                for (String op : new TreeSet<>(o.ops())) {
                    int[] pt = byOp.computeIfAbsent(op, k -> new int[2]);
                    pt[1]++;
                    if (o.status().equals("PASS")) {
                        pt[0]++;
                    }
                }
            }
            detail.append("- ").append(status).append(' ').append(e.getKey())
                    .append(o.reason().isEmpty() ? "" : ": " + o.reason()).append('\n');
        }
        report.append("cases: ").append(outcomes.size()).append(", run: ").append(passed + failed).append(", passed: ")
                .append(passed).append(", failed: ").append(failed).append(", skipped: ").append(skipped)
                .append("\n\n| op type | passed / run |\n|---|---|\n");
        byOp.forEach((op, pt) -> report.append("| ").append(op).append(" | ").append(pt[0]).append(" / ")
                .append(pt[1]).append(" |\n"));
        report.append("\n## every case\n\n").append(detail);
        System.out.println(report);
        Path out = Path.of("target", "onnx-backend-report.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        assertTrue(unexpected.isEmpty(), "unexpected outcomes:\n" + String.join("\n", unexpected));
    }

    private static Map<String, String> knownFailures() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (var in = OnnxBackendDataTest.class.getResourceAsStream("/onnx-backend-known-failures.txt")) {
            if (in == null) {
                return m;
            }
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (!l.isEmpty() && !l.startsWith("#")) {
                    int sp = l.indexOf(' ');
                    m.put(sp < 0 ? l : l.substring(0, sp), sp < 0 ? "" : l.substring(sp + 1).strip());
                }
            }
        }
        return m;
    }

    static Outcome runCase(Path dir, Backend be) {
        byte[] bytes;
        OnnxProto.Model model;
        List<String> ops = new ArrayList<>();
        try {
            bytes = Files.readAllBytes(dir.resolve("model.onnx"));
            model = OnnxProto.parseModel(bytes);
            model.graph().nodes().forEach(n -> ops.add(n.opType()));
            List<String> missing = ops.stream().filter(op -> !OnnxOps.isSupported(op)).distinct().sorted().toList();
            if (!missing.isEmpty()) {
                return new Outcome("SKIP", "op not supported: " + String.join(", ", missing), ops);
            }
        } catch (IOException e) {
            return new Outcome("FAIL", "unreadable: " + e.getMessage(), ops);
        }
        try (GraphModule m = OnnxModels.fromBytes(bytes, be)) {
            List<Path> sets;
            try (Stream<Path> s = Files.list(dir)) {
                sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
            }
            for (Path set : sets) {
                String r = runSet(m, model.graph(), set, be);
                if (r != null) {
                    return r.startsWith("SKIP:") ? new Outcome("SKIP", r.substring(5), ops)
                            : new Outcome("FAIL", set.getFileName() + ": " + r, ops);
                }
            }
            return new Outcome("PASS", "", ops);
        } catch (OnnxUnsupportedException e) {
            return new Outcome("SKIP", "not supported: " + e.getMessage(), ops);
        } catch (IOException | RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null && !(t instanceof OnnxUnsupportedException)) {
                t = t.getCause();
            }
            if (t instanceof OnnxUnsupportedException) {
                return new Outcome("SKIP", "not supported: " + t.getMessage(), ops);
            }
            return new Outcome("FAIL", e.getClass().getSimpleName() + ": " + e.getMessage(), ops);
        }
    }

    private static List<Path> numbered(Path set, String prefix) throws IOException {
        List<Path> l = new ArrayList<>();
        for (int i = 0; Files.exists(set.resolve(prefix + i + ".pb")); i++) {
            l.add(set.resolve(prefix + i + ".pb"));
        }
        return l;
    }

    /** null when the set passes; else the mismatch, or "SKIP:" and why. */
    private static String runSet(GraphModule m, OnnxProto.GraphProto graph, Path set, Backend be) throws IOException {
        List<Tensor> inputs = new ArrayList<>();
        try {
            List<Path> inputFiles = numbered(set, "input_");
            for (int i = 0; i < inputFiles.size(); i++) {
                Path p = inputFiles.get(i);
                OnnxProto.TensorProto t = OnnxProto.parseTensor(Files.readAllBytes(p));
                if (!OnnxTensors.isSupported(t.dataType())) {
                    return "SKIP:dtype not supported: input " + p.getFileName() + " is "
                            + OnnxTensors.typeName(t.dataType());
                }
                inputs.add(asDeclared(OnnxTensors.toArray(t), t, graph.inputs(), i).upload(be));
            }
            Object result = m.run(inputs.toArray(new Tensor[0]));
            List<Object> outs = result instanceof Map<?, ?> d ? new ArrayList<>(d.values()) : List.of(result);
            try {
                List<Path> expected = numbered(set, "output_");
                if (expected.size() != outs.size()) {
                    return "the model gave " + outs.size() + " outputs, the data has " + expected.size();
                }
                for (int i = 0; i < outs.size(); i++) {
                    OnnxProto.TensorProto t = OnnxProto.parseTensor(Files.readAllBytes(expected.get(i)));
                    if (!OnnxTensors.isSupported(t.dataType())) {
                        return "SKIP:dtype not supported: output " + i + " is " + OnnxTensors.typeName(t.dataType());
                    }
                    String r = compare(i, NdArray.of((Tensor) outs.get(i)), asDeclared(OnnxTensors.toArray(t), t,
                            graph.outputs(), i));
                    if (r != null) {
                        return r;
                    }
                }
                return null;
            } finally {
                org.layers4j.graph.ops.Values.close(outs);
            }
        } finally {
            inputs.forEach(Tensor::close);
        }
    }

    /**
     * ONNX 1.12's test data stores a BFLOAT16 tensor as UINT16 (numpy has no bfloat16): when the graph declares
     * the value BFLOAT16 and the file holds UINT16, its values are the bfloat16 bit patterns.
     */
    private static NdArray asDeclared(NdArray a, OnnxProto.TensorProto t, List<OnnxProto.ValueInfo> declared, int i) {
        if (t.dataType() == OnnxTensors.UINT16 && i < declared.size()
                && declared.get(i).elemType() == OnnxTensors.BFLOAT16) {
            return new NdArray(a.shape, a.map(x -> Float.intBitsToFloat(((int) x & 0xffff) << 16)).data, false);
        }
        return a;
    }

    static String compare(int index, NdArray got, NdArray want) {
        if (!java.util.Arrays.equals(got.shape, want.shape)) {
            return "output " + index + ": shape " + java.util.Arrays.toString(got.shape) + ", expected "
                    + java.util.Arrays.toString(want.shape);
        }
        for (int i = 0; i < got.data.length; i++) {
            double g = got.data[i];
            double w = want.data[i];
            boolean ok = Double.isNaN(w) ? Double.isNaN(g) : g == w || Math.abs(g - w) <= ATOL + RTOL * Math.abs(w);
            if (!ok) {
                return "output " + index + " element " + i + ": " + g + ", expected " + w;
            }
        }
        return null;
    }
}
