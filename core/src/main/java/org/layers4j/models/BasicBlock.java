package org.layers4j.models;

import org.layers4j.graph.GraphTracer;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.Traceable;
import org.layers4j.Tensor;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.norm.BatchNorm2d;
import org.layers4j.spi.Backend;

/**
 * torchvision's ResNet {@code BasicBlock}: conv3x3 → bn → relu → conv3x3 → bn, plus the identity (or a
 * 1x1-conv + bn {@code downsample} when the shape changes), then relu. Children and state_dict names
 * are torchvision's: {@code conv1}, {@code bn1}, {@code relu}, {@code conv2}, {@code bn2},
 * {@code downsample.0}, {@code downsample.1}. A composite written in plain Java: forward only; the
 * residual add's gradient comes from {@link Functional#add} on the tape.
 */
public final class BasicBlock extends Module implements Traceable {
    /** Output channels per input "plane" (1 for BasicBlock, as torchvision's expansion). */
    public static final int EXPANSION = 1;

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final ReLU relu;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Sequential downsample;

    public BasicBlock(int inplanes, int planes, int stride, Backend backend) {
        super(backend);
        conv1 = registerModule("conv1", Conv2d.builder(inplanes, planes, 3).stride(stride).padding(1).bias(false)
                .backend(backend).build());
        bn1 = registerModule("bn1", new BatchNorm2d(planes, 1e-5, 0.1, true, true, backend));
        relu = registerModule("relu", new ReLU(backend));
        conv2 = registerModule("conv2", Conv2d.builder(planes, planes, 3).padding(1).bias(false).backend(backend).build());
        bn2 = registerModule("bn2", new BatchNorm2d(planes, 1e-5, 0.1, true, true, backend));
        if (stride != 1 || inplanes != planes * EXPANSION) {
            downsample = registerModule("downsample", new Sequential(
                    Conv2d.builder(inplanes, planes * EXPANSION, 1).stride(stride).bias(false).backend(backend).build(),
                    new BatchNorm2d(planes * EXPANSION, 1e-5, 0.1, true, true, backend)));
        } else {
            downsample = null;
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        requireInput("BasicBlock", x);
        // the identity is x itself, not a new handle on it: the tape follows tensors by identity
        Tensor identity = downsample == null ? x : downsample.forward(x);
        try (Tensor a = conv1.forward(x); Tensor b = bn1.forward(a); Tensor c = relu.forward(b);
             Tensor d = conv2.forward(c); Tensor e = bn2.forward(d); Tensor sum = Functional.add(e, identity)) {
            return relu.forward(sum);
        } finally {
            if (identity != x) {
                identity.close();
            }
        }
    }

    /** The forward as graph nodes, as torchvision's BasicBlock traces. */
    @Override
    public Ref trace(GraphTracer.Scope s, Ref x) {
        Ref out = s.child("bn2", s.child("conv2", s.child("relu", s.child("bn1",
                s.child("conv1", x)))));
        Ref identity = downsample == null ? x : s.child("downsample", x);
        return s.child("relu", s.graph().call("add", out, identity));
    }
}
