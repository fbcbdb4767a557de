package org.layers4j.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.ConvPlan;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.testing.TestData;

/**
 * The convolution fixtures with what core plans for them: the layer arguments from each file's
 * metadata turned into a ConvSpec (no backend needed) and planned for the file's input shape.
 */
final class FixtureCases {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One convolution fixture: its tensors and core's plan for its input. */
    record Case(String name, SafeTensors.Contents contents, ConvPlan plan) {
        @Override
        public String toString() {
            return name;
        }
    }

    private FixtureCases() {
    }

    static List<Case> convolutions() {
        try {
            List<Case> out = new ArrayList<>();
            for (Path file : ConformanceCase.find(List.of(TestData.fixtureDir()))) {
                SafeTensors.Contents c = SafeTensors.read(file);
                String op = c.metadata().get("op");
                if (op.equals("relu")) {
                    continue;
                }
                ConvBuilder<?> b = op.equals("conv1d")
                        ? Conv1d.builder(integer(c, "in_channels"), integer(c, "out_channels"), ints(c, "kernel_size"))
                        : Conv2d.builder(integer(c, "in_channels"), integer(c, "out_channels"), ints(c, "kernel_size"));
                String padding = c.metadata().get("padding").trim();
                if (padding.startsWith("[")) {
                    b.padding(ints(c, "padding"));
                } else {
                    b.padding(padding);
                }
                b.stride(ints(c, "stride")).dilation(ints(c, "dilation")).groups(integer(c, "groups"))
                        .bias(Boolean.parseBoolean(c.metadata().get("bias")))
                        .paddingMode(PaddingMode.fromTorchName(c.metadata().get("padding_mode")));
                String name = file.getFileName().toString().replaceFirst("\\.safetensors$", "");
                out.add(new Case(name, c, b.spec().plan(c.tensor("input").shape())));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int integer(SafeTensors.Contents c, String key) {
        return Integer.parseInt(c.metadata().get(key).trim());
    }

    private static int[] ints(SafeTensors.Contents c, String key) {
        try {
            JsonNode n = JSON.readTree(c.metadata().get(key));
            if (n.isInt()) {
                return new int[] {n.asInt()};
            }
            int[] v = new int[n.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = n.get(i).asInt();
            }
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
