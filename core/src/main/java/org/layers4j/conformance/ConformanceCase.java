package org.layers4j.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.Conv1d;
import org.layers4j.nn.Conv2d;
import org.layers4j.nn.ConvBuilder;
import org.layers4j.nn.Convolution;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Layer;
import org.layers4j.nn.PaddingMode;
import org.layers4j.nn.ReLU;
import org.layers4j.spi.Backend;

/**
 * One golden PyTorch case (a {@code .safetensors} file: the layer's configuration in its metadata,
 * input, parameters, expected output and gradients) run through the public layer API on a backend.
 * A tensor passes when {@code max|actual - expected| <= 1e-4 * max(1, max|expected|)}.
 */
public final class ConformanceCase {
    /** The fixtures' relative tolerance. */
    public static final double TOLERANCE = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final SafeTensors.Contents contents;

    private ConformanceCase(String name, SafeTensors.Contents contents) {
        this.name = name;
        this.contents = contents;
    }

    public static ConformanceCase load(Path file) throws IOException {
        String fileName = file.getFileName().toString();
        return new ConformanceCase(fileName.replaceFirst("\\.safetensors$", ""), SafeTensors.read(file));
    }

    /** Every {@code *.safetensors} file directly in the directories, sorted by name. */
    public static List<Path> find(List<Path> dirs) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                throw new IOException("not a directory: " + dir);
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    public String name() {
        return name;
    }

    /** {@code conv1d}, {@code conv2d} or {@code relu}. */
    public String op() {
        return meta("op");
    }

    public Map<String, String> metadata() {
        return contents.metadata();
    }

    public boolean hasBackward() {
        return contents.tensors().containsKey("grad_output");
    }

    /** The case's layer on {@code backend}, with the case's parameters. */
    public Layer buildLayer(Backend backend) {
        String op = op();
        if (op.equals("relu")) {
            return new ReLU(backend);
        }
        int[] kernel = ints("kernel_size");
        ConvBuilder<? extends Convolution> b;
        if (op.equals("conv1d")) {
            b = Conv1d.builder(integer("in_channels"), integer("out_channels"), kernel);
        } else if (op.equals("conv2d")) {
            b = Conv2d.builder(integer("in_channels"), integer("out_channels"), kernel);
        } else {
            throw new IllegalArgumentException(name + ": unknown op '" + op + "'");
        }
        String padding = meta("padding").trim();
        if (padding.startsWith("[")) {
            b.padding(ints("padding"));
        } else {
            b.padding(padding);
        }
        Convolution conv = b.stride(ints("stride")).dilation(ints("dilation")).groups(integer("groups"))
                .bias(Boolean.parseBoolean(meta("bias"))).paddingMode(PaddingMode.fromTorchName(meta("padding_mode")))
                .backend(backend).seed(0).build();
        conv.setParameter("weight", contents.tensor("weight").data());
        if (conv.spec().bias()) {
            conv.setParameter("bias", contents.tensor("bias").data());
        }
        return conv;
    }

    /** Runs forward (and backward when the case has gradients) on {@code backend} and compares. */
    public Result run(Backend backend) {
        List<Comparison> comparisons = new ArrayList<>();
        HostTensor in = contents.tensor("input");
        try (Layer layer = buildLayer(backend); Tensor x = backend.upload(in.data(), in.shape())) {
            try (Tensor y = layer.forward(x)) {
                comparisons.add(compare("output", y));
            }
            if (hasBackward()) {
                HostTensor gy = contents.tensor("grad_output");
                try (Tensor dy = backend.upload(gy.data(), gy.shape()); Gradients g = layer.backward(x, dy)) {
                    comparisons.add(compare("grad_input", g.input()));
                    g.parameters().forEach((p, t) -> comparisons.add(compare("grad_" + p, t)));
                }
            }
        }
        return new Result(name, comparisons);
    }

    private Comparison compare(String tensor, Tensor actual) {
        HostTensor expected = contents.tensor(tensor);
        if (!actual.shape().equals(expected.shape())) {
            return new Comparison(tensor, Double.POSITIVE_INFINITY, 0, false,
                    "shape " + actual.shape().dimsString() + ", expected " + expected.shape().dimsString());
        }
        float[] a = actual.toArray();
        float[] e = expected.data();
        double maxErr = 0;
        double maxAbs = 0;
        for (float v : e) {
            if (Float.isFinite(v)) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        for (int i = 0; i < e.length; i++) {
            if (Float.compare(a[i], e[i]) == 0 || (Float.isNaN(a[i]) && Float.isNaN(e[i]))) {
                continue; // equal, including NaN where PyTorch has NaN and the same infinity
            }
            double d = Math.abs((double) a[i] - e[i]);
            maxErr = Double.isNaN(d) ? Double.NaN : Math.max(maxErr, d);
            if (Double.isNaN(maxErr)) {
                break;
            }
        }
        double tol = TOLERANCE * Math.max(1, maxAbs);
        return new Comparison(tensor, maxErr, tol, maxErr <= tol, "");
    }

    private String meta(String key) {
        String v = contents.metadata().get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + ": metadata has no '" + key + "'");
        }
        return v;
    }

    private int integer(String key) {
        return Integer.parseInt(meta(key).trim());
    }

    private int[] ints(String key) {
        try {
            JsonNode node = JSON.readTree(meta(key));
            int[] v = new int[node.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = node.get(i).asInt();
            }
            return v;
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": metadata '" + key + "' is not a JSON list: " + meta(key), e);
        }
    }

    /** One tensor compared: the largest absolute error and the tolerance it had to meet. */
    public record Comparison(String tensor, double maxError, double tolerance, boolean passed, String problem) {
    }

    /** Every tensor compared for one case. */
    public record Result(String name, List<Comparison> comparisons) {
        public boolean passed() {
            return comparisons.stream().allMatch(Comparison::passed);
        }

        /** The largest error over the compared tensors (NaN when any was NaN). */
        public double maxError() {
            double m = 0;
            for (Comparison c : comparisons) {
                if (Double.isNaN(c.maxError())) {
                    return Double.NaN;
                }
                m = Math.max(m, c.maxError());
            }
            return m;
        }
    }
}
