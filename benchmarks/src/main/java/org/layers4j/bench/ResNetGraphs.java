package org.layers4j.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layers4j.DType;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.Node.Ref;
import org.layers4j.nn.Module;

/**
 * torchvision's ResNet-18 and ResNet-50 as graphs, node for node what {@code torch.fx.symbolic_trace} gives
 * (module names, one shared ReLU per block called after each BatchNorm and after the add), for benchmarks that
 * need a ResNet-50 without a model file. {@link #randomize} gives BatchNorm statistics that are not the identity,
 * so that folding them is real work.
 */
final class ResNetGraphs {
    private ResNetGraphs() {
    }

    /** resnet18 (BasicBlock, [2, 2, 2, 2]) or resnet50 (Bottleneck, [3, 4, 6, 3]), 1000 classes. */
    static Graph of(String name) {
        return switch (name) {
            case "resnet18" -> build(new int[] {2, 2, 2, 2}, false);
            case "resnet50" -> build(new int[] {3, 4, 6, 3}, true);
            default -> throw new IllegalArgumentException("resnet18 or resnet50, got " + name);
        };
    }

    private static Graph build(int[] blocks, boolean bottleneck) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        GraphBuilder g = new GraphBuilder();
        m.put("conv1", conv(3, 64, 7, 2, 3));
        m.put("bn1", bn(64));
        m.put("relu", Map.of("op", "relu"));
        m.put("maxpool", Map.of("op", "maxpool2d", "kernel_size", 3L, "stride", 2L, "padding", 1L));
        Ref x = g.callModule("maxpool", g.callModule("relu", g.callModule("bn1", g.callModule("conv1", g.input("x")))));
        int expansion = bottleneck ? 4 : 1;
        int inplanes = 64;
        for (int layer = 0; layer < 4; layer++) {
            int planes = 64 << layer;
            for (int b = 0; b < blocks[layer]; b++) {
                String p = "layer" + (layer + 1) + "." + b + ".";
                int stride = b == 0 && layer > 0 ? 2 : 1;
                Ref h;
                if (bottleneck) {
                    m.put(p + "conv1", conv(inplanes, planes, 1, 1, 0));
                    m.put(p + "bn1", bn(planes));
                    m.put(p + "conv2", conv(planes, planes, 3, stride, 1));
                    m.put(p + "bn2", bn(planes));
                    m.put(p + "conv3", conv(planes, planes * 4, 1, 1, 0));
                    m.put(p + "bn3", bn(planes * 4));
                    m.put(p + "relu", Map.of("op", "relu"));
                    h = g.callModule(p + "relu", g.callModule(p + "bn1", g.callModule(p + "conv1", x)));
                    h = g.callModule(p + "relu", g.callModule(p + "bn2", g.callModule(p + "conv2", h)));
                    h = g.callModule(p + "bn3", g.callModule(p + "conv3", h));
                } else {
                    m.put(p + "conv1", conv(inplanes, planes, 3, stride, 1));
                    m.put(p + "bn1", bn(planes));
                    m.put(p + "relu", Map.of("op", "relu"));
                    m.put(p + "conv2", conv(planes, planes, 3, 1, 1));
                    m.put(p + "bn2", bn(planes));
                    h = g.callModule(p + "relu", g.callModule(p + "bn1", g.callModule(p + "conv1", x)));
                    h = g.callModule(p + "bn2", g.callModule(p + "conv2", h));
                }
                Ref identity = x;
                if (stride != 1 || inplanes != planes * expansion) {
                    m.put(p + "downsample.0", conv(inplanes, planes * expansion, 1, stride, 0));
                    m.put(p + "downsample.1", bn(planes * expansion));
                    identity = g.callModule(p + "downsample.1", g.callModule(p + "downsample.0", x));
                }
                x = g.callModule(p + "relu", g.call("add", h, identity));
                inplanes = planes * expansion;
            }
        }
        m.put("avgpool", Map.of("op", "adaptiveavgpool2d", "output_size", List.of(1L, 1L)));
        m.put("fc", Map.of("op", "linear", "in_features", (long) inplanes, "out_features", 1000L, "bias", true));
        g.output(g.callModule("fc", g.call("flatten", g.callModule("avgpool", x), 1)));
        return g.build(m);
    }

    private static Map<String, Object> conv(int in, int out, int k, int stride, int pad) {
        return Map.of("op", "conv2d", "in_channels", (long) in, "out_channels", (long) out, "kernel_size", (long) k,
                "stride", (long) stride, "padding", (long) pad, "bias", false);
    }

    private static Map<String, Object> bn(int c) {
        return Map.of("op", "batchnorm2d", "num_features", (long) c);
    }

    /**
     * BatchNorm statistics and affine parameters drawn as a trained network's look (means about 0, variances near 1,
     * gammas near 1); the other parameters keep their PyTorch initialization.
     */
    static void randomize(Module model, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        model.stateDict().forEach((k, t) -> {
            if (t.dtype() != DType.FLOAT32 || !k.contains("bn") && !k.contains("downsample.1")) {
                return;
            }
            float[] v = new float[t.shape().size()];
            for (int i = 0; i < v.length; i++) {
                double u = r.nextDouble();
                v[i] = (float) (k.endsWith("running_var") ? 0.5 + u : k.endsWith("weight") ? 0.5 + u
                        : 0.2 * (u - 0.5));
            }
            model.setParameter(k, v);
        });
    }
}
