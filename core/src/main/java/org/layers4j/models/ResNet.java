package org.layers4j.models;

import org.layers4j.graph.GraphTracer;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.Traceable;
import java.util.ArrayList;
import java.util.List;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.norm.BatchNorm2d;
import org.layers4j.nn.pool.AdaptiveAvgPool2d;
import org.layers4j.nn.pool.MaxPool2d;
import org.layers4j.nn.pool.PoolOptions;
import org.layers4j.spi.Backend;

/**
 * torchvision's ResNet with {@link BasicBlock}s ({@link #resnet18}, {@link #resnet34}), whose
 * state_dict names and shapes equal torchvision's ({@code conv1.weight}, {@code bn1.running_mean},
 * {@code layer1.0.conv1.weight}, ..., {@code fc.bias}), so a torchvision state_dict saved as
 * safetensors loads strictly with {@code StateDicts.load} and gives torchvision's output. Input
 * [N, 3, H, W]; output [N, numClasses] logits.
 */
public final class ResNet extends Module implements Traceable {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final ReLU relu;
    private final MaxPool2d maxpool;
    private final List<Sequential> layers = new ArrayList<>();
    private final AdaptiveAvgPool2d avgpool;
    private final Flatten flatten;
    private final Linear fc;

    private ResNet(int[] blocks, int numClasses, Backend backend) {
        super(backend);
        if (numClasses < 1) {
            throw new IllegalArgumentException("ResNet: num_classes must be positive, but got " + numClasses);
        }
        conv1 = registerModule("conv1", Conv2d.builder(3, 64, 7).stride(2).padding(3).bias(false).backend(backend).build());
        bn1 = registerModule("bn1", new BatchNorm2d(64, 1e-5, 0.1, true, true, backend));
        relu = registerModule("relu", new ReLU(backend));
        maxpool = registerModule("maxpool", new MaxPool2d(PoolOptions.of(3).stride(2).padding(1).backend(backend)));
        int inplanes = 64;
        int[] planes = {64, 128, 256, 512};
        for (int i = 0; i < 4; i++) {
            Module[] bs = new Module[blocks[i]];
            for (int b = 0; b < blocks[i]; b++) {
                int stride = b == 0 && i > 0 ? 2 : 1;
                bs[b] = new BasicBlock(inplanes, planes[i], stride, backend);
                inplanes = planes[i] * BasicBlock.EXPANSION;
            }
            layers.add(registerModule("layer" + (i + 1), new Sequential(bs)));
        }
        avgpool = registerModule("avgpool", new AdaptiveAvgPool2d(backend, 1, 1));
        flatten = new Flatten(1, -1, backend); // torch.flatten in torchvision's forward: not a child
        fc = registerModule("fc", new Linear(512 * BasicBlock.EXPANSION, numClasses, true, backend, 0));
    }

    /** torchvision's resnet18 (BasicBlock, [2, 2, 2, 2]) on the default backend. */
    public static ResNet resnet18(int numClasses) {
        return resnet18(numClasses, Backends.defaultBackend());
    }

    public static ResNet resnet18(int numClasses, Backend backend) {
        return new ResNet(new int[] {2, 2, 2, 2}, numClasses, backend);
    }

    /** torchvision's resnet34 (BasicBlock, [3, 4, 6, 3]) on the default backend. */
    public static ResNet resnet34(int numClasses) {
        return resnet34(numClasses, Backends.defaultBackend());
    }

    public static ResNet resnet34(int numClasses, Backend backend) {
        return new ResNet(new int[] {3, 4, 6, 3}, numClasses, backend);
    }

    @Override
    public Tensor forward(Tensor x) {
        requireInput("ResNet", x);
        Tensor h = conv1.forward(x);
        h = then(h, bn1);
        h = then(h, relu);
        h = then(h, maxpool);
        for (Sequential layer : layers) {
            h = then(h, layer);
        }
        h = then(h, avgpool);
        h = then(h, flatten);
        return then(h, fc);
    }

    /** torchvision's forward as graph nodes ({@code torch.flatten(x, 1)} as torchvision writes it). */
    @Override
    public Ref trace(GraphTracer.Scope s, Ref x) {
        Ref h = s.child("maxpool", s.child("relu", s.child("bn1", s.child("conv1", x))));
        for (int i = 1; i <= layers.size(); i++) {
            h = s.child("layer" + i, h);
        }
        h = s.graph().call("flatten", s.child("avgpool", h), 1);
        return s.child("fc", h);
    }

    /** m(h), closing h (the tape, when recording, keeps its own handles). */
    private static Tensor then(Tensor h, Module m) {
        try (Tensor in = h) {
            return m.forward(in);
        }
    }
}
