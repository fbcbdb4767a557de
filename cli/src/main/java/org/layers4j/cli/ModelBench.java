package org.layers4j.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.GraphTracer;
import org.layers4j.io.Models;
import org.layers4j.io.StateDicts;
import org.layers4j.models.ResNet;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;
import org.layers4j.spi.MemoryStats;

/**
 * Times a whole model for {@code bench --model}: a model file, or the built-in {@code resnet18} /
 * {@code resnet34} (torchvision's architecture, random weights; as graph models compiled for inference, as a model
 * file of them loads, unless {@code layers4j.optimize} is false), forward in eval mode or, with
 * backward, forward + backward in training mode on a {@link Tape}. A graph model's first output is the one
 * timed for backward and trained on ({@code out} for torchvision's segmentation models).
 *
 * <p>Besides the time, each run measures memory over the timed runs: the backend's peak of live tensor
 * bytes ({@link Backend#memory()}; weights, inputs, activations, gradients, optimizer state), when the
 * backend tracks it, and the JVM heap's peak (the sum of the heap pools' peak usage, reset after warm-up:
 * an upper bound, as the pools peak at different moments, which includes garbage not yet collected).
 */
final class ModelBench {
    private ModelBench() {
    }

    /**
     * One timing: the median, the backend's peak tensor bytes during the timed runs (-1: not tracked), the
     * tensor bytes live when they started (weights, inputs; -1: not tracked), the JVM heap peak in bytes and every
     * timed run's milliseconds in the order they ran.
     */
    record Result(double medianMs, long peakTensorBytes, long liveBeforeBytes, long heapPeakBytes, double[] timesMs) {
    }

    /** A usage error in the command line's model options (an input shape the model cannot take, ...): exit 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * One eval forward before anything is timed: the names and shapes of the outputs (for {@code inShape}'s
     * batch size). An input shape the model cannot take (a wrong rank, channel count, spatial size too small)
     * is a {@link UsageException} naming the shape and the model's complaint. Inputs of rank 4 or more
     * ([N, C, H, W], [N, C, D, H, W]), whose first dimension is always the batch, are probed at batch 1 (and
     * again at their batch size when an output has no leading dimension of 1 there).
     */
    static Map<String, Shape> probe(Module m, Shape inShape, String inputOption) {
        return probe(m, inShape, inputOption, true);
    }

    private static Map<String, Shape> probe(Module m, Shape inShape, String inputOption, boolean mayShrink) {
        int[] dims = inShape.dims();
        boolean batchOne = mayShrink && dims.length >= 4 && dims[0] > 1;
        if (batchOne) {
            dims[0] = 1;
        }
        Shape one = Shape.of(dims);
        Backend be = m.backend();
        m.eval();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        try (Tensor x = be.upload(Timing.random(new SplittableRandom(1), one.size()), one)) {
            Map<String, Tensor> ys = m instanceof GraphModule g ? g.forwardNamed(x) : Map.of("output", m.forward(x));
            try {
                ys.forEach((k, v) -> shapes.put(k, v.shape()));
            } finally {
                ys.values().forEach(Tensor::close);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException("--input-shape " + inputOption + " (rank " + inShape.rank() + ") does not fit the model: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        if (shapes.isEmpty()) {
            throw new IllegalStateException("the model returns no tensor");
        }
        if (batchOne) {
            if (shapes.values().stream().anyMatch(v -> v.rank() == 0 || v.dim(0) != 1)) {
                // an output without a leading batch dimension: its shape at the real batch size is only known by running it
                return probe(m, inShape, inputOption, false);
            }
            shapes.replaceAll((k, v) -> atBatch(v, inShape.dim(0)));
        }
        return shapes;
    }

    /** An output's shape at batch size {@code n}, from the probe's at batch 1 (whose first dimension is 1). */
    private static Shape atBatch(Shape probed, int n) {
        int[] d = probed.dims();
        d[0] = n;
        return Shape.of(d);
    }

    /**
     * The class-index target shape for cross-entropy on an output of {@code shape} [N, C, d1, ...]: [N, d1, ...]
     * (per-pixel classes for a segmentation output). Anything of rank below 2 is a {@link UsageException}.
     */
    static Shape targetShape(String name, Shape shape) {
        if (shape.rank() < 2) {
            throw new UsageException("--train needs a first output [N, C] or [N, C, H, W] for cross-entropy, but the"
                    + " model's output '" + name + "' is " + shape.dimsString(), null);
        }
        int[] d = shape.dims();
        int[] t = new int[d.length - 1];
        t[0] = d[0];
        System.arraycopy(d, 2, t, 1, d.length - 2);
        return Shape.of(t);
    }

    /**
     * The model of {@code --model}: a built-in name or a model file; a file loads for inference only (its weights
     * held once, {@link Models#loadForInference}) unless {@code trainable} (a training step, gradients).
     */
    static Module load(String model, Backend be, boolean trainable) throws IOException {
        switch (model) {
            case "resnet18":
                return forInference(ResNet.resnet18(1000, be));
            case "resnet34":
                return forInference(ResNet.resnet34(1000, be));
            default:
                Path p = Path.of(model);
                if (!Files.isRegularFile(p)) {
                    throw new IllegalArgumentException("--model " + model + ": not a file, nor resnet18 / resnet34");
                }
                return trainable ? Models.load(p, be) : Models.loadForInference(p, be);
        }
    }

    /**
     * A built-in Java model as a model file of it loads: its graph ({@link GraphTracer}) as a {@link GraphModule}
     * with its state, compiled for eval-mode inference unless {@code layers4j.optimize} is false (then the Java model
     * itself). Training runs the graph uncompiled, which computes what the Java model computes.
     */
    private static Module forInference(ResNet net) {
        if (!Config.load().getBoolean(Config.OPTIMIZE, true)) {
            return net;
        }
        try (net) {
            GraphModule g;
            try (Init.Skip noInit = Init.skip()) {
                g = new GraphModule(GraphTracer.trace(net), net.backend());
            }
            try {
                StateDicts.load(g, StateDicts.of(net));
            } catch (RuntimeException e) {
                g.close();
                throw e;
            }
            g.eval();
            return g.compileForInference();
        }
    }

    static Shape parseShape(String s) {
        try {
            String[] parts = s.split(",");
            int[] dims = new int[parts.length];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = Integer.parseInt(parts[i].trim());
                if (dims[i] < 1) {
                    throw new IllegalArgumentException("--input-shape dims must be >= 1, got '" + s + "'");
                }
            }
            return Shape.of(dims);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--input-shape must be comma-separated integers such as 8,3,224,224,"
                    + " got '" + s + "'");
        }
    }

    /**
     * The median milliseconds of one forward (or forward + backward) over {@code reps} timed runs, on {@code data}
     * (null: seeded uniform random values).
     */
    static Result time(Module m, Shape inShape, float[] data, boolean backward, int warmup, double warmupSeconds,
            int reps) {
        Backend be = m.backend();
        if (data == null) {
            data = Timing.random(new SplittableRandom(1), inShape.size());
        }
        m.train(backward);
        try (Tensor x = be.upload(data, inShape)) {
            return measured(be, warmup, warmupSeconds, reps, () -> once(m, x, backward));
        }
    }

    /**
     * The convolution and GEMM FLOPs of one timed unit ({@link FlopCount}): the model loaded a second time on a
     * counting backend over {@code be}, run once as {@link #time} or {@link #timeTraining} would (train: with
     * the first output {@code first} of shape {@code firstShape}).
     */
    static double flops(String model, Backend be, Shape inShape, boolean backward, boolean train, String first,
            Shape firstShape) throws IOException {
        FlopCount counting = new FlopCount(be);
        try (Module m = load(model, counting, train || backward)) {
            if (train) {
                timeTraining(m, inShape, null, first, firstShape, 0, 0, 1);
            } else {
                time(m, inShape, null, backward, 0, 0, 1);
            }
        }
        return counting.flops();
    }

    /** Whether the Vector API module is present (the launcher adds it; {@link FmaPeak} needs it). */
    static boolean vectorApi() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The eval outputs of {@code m} on {@code data} by name ({@code output}, or a graph's keys), as host tensors
     * (for {@code bench --output}: checking a timed model against another framework's output).
     */
    static Map<String, org.layers4j.io.HostTensor> outputs(Module m, Shape inShape, float[] data) {
        Backend be = m.backend();
        m.eval();
        Map<String, org.layers4j.io.HostTensor> out = new LinkedHashMap<>();
        try (Tensor x = be.upload(data, inShape)) {
            Map<String, Tensor> ys = m instanceof GraphModule g ? g.forwardNamed(x) : Map.of("output", m.forward(x));
            try {
                ys.forEach((k, v) -> out.put(k, new org.layers4j.io.HostTensor(v.shape(), v.toArray())));
            } finally {
                ys.values().forEach(Tensor::close);
            }
        }
        return out;
    }

    /** Times {@code once}, resetting the memory peaks after warm-up and reading them after the timed runs. */
    private static Result measured(Backend be, int warmup, double warmupSeconds, int reps, Runnable once) {
        MemoryStats mem = be.memory();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
        long[] liveBefore = new long[1];
        double[] times = Timing.timesMs(warmup, warmupSeconds, reps, () -> {
            mem.resetPeak();
            liveBefore[0] = mem.liveBytes();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        }, once);
        double ms = Timing.median(times);
        long heapPeak = 0;
        for (MemoryPoolMXBean p : heap) {
            java.lang.management.MemoryUsage u = p.getPeakUsage();
            heapPeak += u == null ? 0 : u.getUsed();
        }
        return mem.tracked() ? new Result(ms, mem.peakBytes(), liveBefore[0], heapPeak, times)
                : new Result(ms, -1, -1, heapPeak, times);
    }

    /**
     * The median milliseconds of a full training step (cross-entropy on fixed random targets, SGD momentum 0.9)
     * on the first output, of shape {@code output} ([N, C] logits, or [N, C, H, W] scores with per-pixel
     * targets [N, H, W]), on {@code data} (null: seeded uniform random values).
     */
    static Result timeTraining(Module m, Shape inShape, float[] data, String outputName, Shape output, int warmup,
            double warmupSeconds, int reps) {
        Backend be = m.backend();
        SplittableRandom rng = new SplittableRandom(1);
        float[] random = Timing.random(rng, inShape.size());
        if (data == null) {
            data = random;
        }
        Shape targetShape = targetShape(outputName, output);
        int classes = output.dim(1);
        long[] targets = new long[targetShape.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = rng.nextInt(classes);
        }
        org.layers4j.nn.loss.CrossEntropyLoss loss = new org.layers4j.nn.loss.CrossEntropyLoss();
        try (Tensor x = be.upload(data, inShape); Tensor t = be.upload(targets, targetShape);
             org.layers4j.optim.SGD opt = new org.layers4j.optim.SGD(m, 0.01).momentum(0.9)) {
            return measured(be, warmup, warmupSeconds, reps, () -> {
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
