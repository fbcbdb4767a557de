package org.layers4j.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * torchvision models exported by torch.onnx.export ({@code scripts/onnx_torchvision.py DIR}): each
 * {@code <model>_op<N>.onnx} in the directory named by {@code -Dlayers4jOnnxTorchvision=DIR} loads through
 * {@link Models#load} and matches PyTorch's eval output ({@code <model>.expected.safetensors}) by the pass rule
 * max|err| &lt;= 1e-4 * max(1, max|expected|). Skipped, saying so, without the directory.
 */
class TorchvisionOnnxTest {
    @Test
    void torchvisionExports() throws IOException {
        String dir = System.getProperty("layers4jOnnxTorchvision");
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            String why = "no torchvision ONNX exports (run scripts/onnx_torchvision.py DIR and pass"
                    + " -Dlayers4jOnnxTorchvision=DIR)";
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        List<Path> models;
        try (Stream<Path> s = Files.list(Path.of(dir))) {
            models = s.filter(p -> p.getFileName().toString().endsWith(".onnx")).sorted().toList();
        }
        Backend be = Backends.get("cpu");
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        for (Path p : models) {
            String file = p.getFileName().toString();
            String name = file.substring(0, file.lastIndexOf("_op"));
            String line;
            try {
                line = check(p, Path.of(dir, name + ".input.safetensors"), Path.of(dir, name + ".expected.safetensors"),
                        be);
            } catch (IOException | RuntimeException e) {
                line = "FAIL " + e;
            }
            report.append(file).append(": ").append(line).append('\n');
            if (!line.startsWith("PASS")) {
                failures.add(file + ": " + line);
            }
        }
        System.out.println(report);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    static String check(Path model, Path input, Path expected, Backend be) throws IOException {
        HostTensor x = SafeTensors.read(input).tensors().get("input");
        Map<String, HostTensor> want = SafeTensors.read(expected).tensors();
        long t0 = System.nanoTime();
        try (Module m = Models.load(model, be); Tensor in = be.upload(x.data(), x.shape())) {
            long t1 = System.nanoTime();
            Map<String, Tensor> got = ((GraphModule) m).forwardNamed(in);
            long t2 = System.nanoTime();
            try {
                StringBuilder sb = new StringBuilder();
                boolean ok = true;
                for (Map.Entry<String, HostTensor> e : want.entrySet()) {
                    Tensor y = got.get(e.getKey());
                    if (y == null) {
                        return "FAIL no output '" + e.getKey() + "' (outputs: " + got.keySet() + ")";
                    }
                    if (!y.shape().equals(e.getValue().shape())) {
                        return "FAIL output '" + e.getKey() + "' " + y.shape() + ", expected " + e.getValue().shape();
                    }
                    float[] g = y.toArray();
                    float[] w = e.getValue().data();
                    double err = 0;
                    double max = 0;
                    for (int i = 0; i < g.length; i++) {
                        err = Math.max(err, Math.abs((double) g[i] - w[i]));
                        max = Math.max(max, Math.abs(w[i]));
                    }
                    double tol = 1e-4 * Math.max(1, max);
                    ok &= err <= tol;
                    sb.append(String.format(" %s max|err| %.3g (tolerance %.3g)", e.getKey(), err, tol));
                }
                return (ok ? "PASS" : "FAIL") + sb + String.format(", load %.1f s, forward %.1f s", (t1 - t0) / 1e9,
                        (t2 - t1) / 1e9);
            } finally {
                got.values().forEach(Tensor::close);
            }
        }
    }
}
