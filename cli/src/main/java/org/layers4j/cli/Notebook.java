package org.layers4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.spi.Backend;

/**
 * The original PyTorch notebook's examples, run through the public layer API. Random inputs and
 * weights are the notebook's own (the seed_* fixtures shipped in the jar), so the values printed
 * are the notebook's values; the deterministic examples (arange inputs, kernels of ones, weights
 * 1..16) are built here exactly as the notebook builds them.
 */
final class Notebook {
    /** One printed step: a title, the layer, its parameters, and what it computed. */
    record Step(String title, String layer, List<Printed> parameters, Printed input, Printed output) {
    }

    /** A tensor to print, with its PyTorch suffix ({@code grad_fn=...}, {@code requires_grad=True}). */
    record Printed(String label, float[] values, Shape shape, String suffix) {
    }

    private final Backend backend;

    Notebook(Backend backend) {
        this.backend = backend;
    }

    List<Step> steps() {
        List<Step> steps = new ArrayList<>();
        conv1dOnSentences(steps);
        conv2dOnArange(steps, 1);
        conv2dOnArange(steps, 2);
        for (PaddingMode mode : PaddingMode.values()) {
            paddingMode(steps, mode);
        }
        groups(steps);
        return steps;
    }

    private void conv1dOnSentences(List<Step> steps) {
        SafeTensors.Contents c = fixture("seed_conv1d_s2_p1");
        try (Conv1d conv = Conv1d.builder(6, 5, 3).stride(2).padding(1).backend(backend).build()) {
            load(conv, c);
            try (Tensor x = upload(c.tensor("input")); Tensor y = conv.forward(x); ReLU relu = new ReLU(backend);
                 Tensor r = relu.forward(y)) {
                steps.add(new Step("Conv1d on a batch of 2 sentences of 4 words with 6-dim embeddings (5 filters)",
                        conv.toString(), params(conv), printed("input (batch, embedding, words)", x, ""),
                        printed("output (batch, filters, positions)", y, "grad_fn=<ConvolutionBackward0>")));
                steps.add(new Step("ReLU on that output", relu.toString(), List.of(), null,
                        printed("output", r, "grad_fn=<ReluBackward0>")));
            }
        }
    }

    private void conv2dOnArange(List<Step> steps, int outChannels) {
        SafeTensors.Contents c = fixture("seed_conv2d_arange_7x7_out" + outChannels);
        try (Conv2d conv = Conv2d.builder(2, outChannels, 3).backend(backend).build()) {
            load(conv, c);
            try (Tensor x = backend.upload(arange(98, 0), Shape.of(1, 2, 7, 7)); Tensor y = conv.forward(x)) {
                steps.add(new Step("Conv2d on arange(98) shaped 1x2x7x7, " + outChannels + " output channel"
                        + (outChannels > 1 ? "s" : ""), conv.toString(), params(conv), printed("input", x, ""),
                        printed("output", y, "grad_fn=<ConvolutionBackward0>")));
            }
        }
    }

    private void paddingMode(List<Step> steps, PaddingMode mode) {
        try (Conv2d conv = Conv2d.builder(1, 1, 1).padding(3).bias(false).paddingMode(mode).backend(backend).build()) {
            conv.setParameter("weight", new float[] {1});
            try (Tensor x = backend.upload(arange(25, 0), Shape.of(1, 1, 5, 5)); Tensor y = conv.forward(x)) {
                steps.add(new Step("padding_mode='" + mode.torchName() + "': arange(25) shaped 1x1x5x5,"
                        + " a 1x1 kernel of ones, padding 3", conv.toString(), List.of(),
                        mode == PaddingMode.ZEROS ? printed("input", x, "") : null,
                        printed("output", y, "grad_fn=<ConvolutionBackward0>")));
            }
        }
    }

    private void groups(List<Step> steps) {
        try (Conv2d conv = Conv2d.builder(4, 8, 1).groups(2).bias(false).backend(backend).build()) {
            conv.setParameter("weight", arange(16, 1));
            try (Tensor x = backend.upload(new float[] {1, 1, 1, 1}, Shape.of(1, 4, 1, 1)); Tensor y = conv.forward(x)) {
                steps.add(new Step("groups=2: 4 -> 8 channels, 1x1 kernel with weights 1..16, on an input of ones",
                        conv.toString(), params(conv), printed("input", x, ""),
                        printed("output", y, "grad_fn=<ConvolutionBackward0>")));
            }
        }
    }

    private List<Printed> params(Convolution conv) {
        List<Printed> p = new ArrayList<>();
        conv.parameters().forEach((name, t) -> p.add(printed(name, t, "requires_grad=True")));
        return p;
    }

    private static Printed printed(String label, Tensor t, String suffix) {
        return new Printed(label, t.toArray(), t.shape(), suffix);
    }

    private Tensor upload(HostTensor t) {
        return backend.upload(t.data(), t.shape());
    }

    private static void load(Convolution conv, SafeTensors.Contents c) {
        conv.setParameter("weight", c.tensor("weight").data());
        conv.setParameter("bias", c.tensor("bias").data());
    }

    static float[] arange(int n, int start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = start + i;
        }
        return v;
    }

    /** A seed fixture shipped in the jar (copied from fixtures/conformance at build time). */
    static SafeTensors.Contents fixture(String name) {
        String resource = "notebook/" + name + ".safetensors";
        try (InputStream in = Notebook.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " in the CLI jar");
            }
            return SafeTensors.parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
