package org.layers4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.Models;
import org.layers4j.models.ResNet;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * Times a whole model for {@code bench --model}: a model file, or the built-in {@code resnet18} /
 * {@code resnet34} (torchvision's architecture, random weights), forward in eval mode or, with
 * backward, forward + backward in training mode on a {@link Tape}.
 */
final class ModelBench {
    private ModelBench() {
    }

    static Module load(String model, Backend be) throws IOException {
        switch (model) {
            case "resnet18":
                return ResNet.resnet18(1000, be);
            case "resnet34":
                return ResNet.resnet34(1000, be);
            default:
                Path p = Path.of(model);
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException("--model " + model + ": not a file, nor resnet18 / resnet34");
                }
                return Models.load(p, be);
        }
    }

    static Shape parseShape(String s) {
        try {
            String[] parts = s.split(",");
            int[] dims = new int[parts.length];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = Integer.parseInt(parts[i].trim());
            }
            return Shape.of(dims);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--input-shape must be comma-separated integers such as 8,3,224,224,"
                    + " got '" + s + "'");
        }
    }

    /** The median milliseconds of one forward (or forward + backward) over {@code reps} timed runs. */
    static double time(Module m, Shape inShape, boolean backward, int warmup, double warmupSeconds, int reps) {
        Backend be = m.backend();
        float[] data = Timing.random(new SplittableRandom(1), inShape.size());
        m.train(backward);
        try (Tensor x = be.upload(data, inShape)) {
            return Timing.medianMs(warmup, warmupSeconds, reps, () -> once(m, x, backward));
        }
    }

    /** The median milliseconds of a full training step (cross-entropy on fixed random targets, SGD momentum 0.9). */
    static double timeTraining(Module m, Shape inShape, int warmup, double warmupSeconds, int reps) {
        Backend be = m.backend();
        SplittableRandom rng = new SplittableRandom(1);
        float[] data = Timing.random(rng, inShape.size());
        int classes;
        m.eval();
        try (Tensor x = be.upload(data, inShape); Tensor y = m.forward(x)) {
            classes = y.shape().dim(y.shape().rank() - 1);
        }
        long[] targets = new long[inShape.dim(0)];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = rng.nextInt(classes);
        }
        org.layers4j.nn.loss.CrossEntropyLoss loss = new org.layers4j.nn.loss.CrossEntropyLoss();
        try (Tensor x = be.upload(data, inShape); Tensor t = be.upload(targets, Shape.of(targets.length));
             org.layers4j.optim.SGD opt = new org.layers4j.optim.SGD(m, 0.01).momentum(0.9)) {
            return Timing.medianMs(warmup, warmupSeconds, reps, () -> {
                org.layers4j.optim.Training.step(m, loss, opt, x, t);
                be.synchronize();
            });
        }
    }

    private static void once(Module m, Tensor x, boolean backward) {
        Backend be = m.backend();
        if (!backward) {
            try (Tensor y = m.forward(x)) {
                be.synchronize();
            }
            return;
        }
        try (Tape tape = Tape.start()) {
            try (Tensor y = m.forward(x); Tensor dy = be.upload(ones(y.shape().size()), y.shape())) {
                tape.backward(y, dy).close();
            }
            be.synchronize();
        }
        m.zeroGrad();
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
