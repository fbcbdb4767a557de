package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Tape;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.loss.BCEWithLogitsLoss;
import org.layers4j.nn.loss.CrossEntropyLoss;
import org.layers4j.nn.loss.MSELoss;
import org.layers4j.nn.loss.NLLLoss;
import org.layers4j.nn.loss.Reduction;
import org.layers4j.optim.Adam;
import org.layers4j.optim.AdamW;
import org.layers4j.optim.SGD;
import org.layers4j.spi.Backend;

/**
 * Bad arguments to the losses and optimizers: IllegalArgumentException with PyTorch's words where it
 * has them, naming the offending value.
 */
public abstract class BadTrainingInputTests {
    protected abstract Backend backend();

    private static void rejects(Executable e, String... words) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        String m = x.getMessage();
        for (String w : words) {
            assertTrue(m != null && m.contains(w), "message '" + m + "' should contain '" + w + "'");
        }
    }

    private Tensor logits(int n, int c) {
        return backend().upload(TestData.randomFloats(new java.util.SplittableRandom(1), n * c), Shape.of(n, c));
    }

    private Tensor classes(long... t) {
        return backend().upload(t, Shape.of(t.length));
    }

    // ---- losses -------------------------------------------------------------------------------------

    @Test
    void crossEntropyTargetOutOfRange() {
        try (Tensor x = logits(3, 4); Tensor big = classes(0, 4, 1); Tensor neg = classes(0, -3, 1)) {
            rejects(() -> new CrossEntropyLoss().forward(x, big).close(), "Target 4 is out of bounds");
            rejects(() -> new CrossEntropyLoss().forward(x, neg).close(), "Target -3 is out of bounds");
            rejects(() -> new NLLLoss().forward(x, big).close(), "Target 4 is out of bounds");
            // the ignore index itself is fine, another negative is not
            rejects(() -> new CrossEntropyLoss(null, -1, Reduction.MEAN, 0).forward(x, neg).close(), "Target -3");
        }
    }

    @Test
    void crossEntropyTargetWrongDtype() {
        try (Tensor x = logits(3, 4); Tensor t = backend().upload(new float[] {0, 1, 2}, Shape.of(3))) {
            rejects(() -> new CrossEntropyLoss().forward(x, t).close(), "int64", "float32");
            rejects(() -> new NLLLoss().forward(x, t).close(), "int64", "float32");
        }
    }

    @Test
    void crossEntropyBatchMismatch() {
        try (Tensor x = logits(4, 3); Tensor t = classes(0, 1, 2)) {
            rejects(() -> new CrossEntropyLoss().forward(x, t).close(),
                    "Expected input batch_size (4) to match target batch_size (3).");
            rejects(() -> new NLLLoss().forward(x, t).close(),
                    "Expected input batch_size (4) to match target batch_size (3).");
        }
    }

    @Test
    void crossEntropySpatialTargetMismatch() {
        try (Tensor x = backend().upload(new float[2 * 3 * 2 * 2], Shape.of(2, 3, 2, 2));
             Tensor t = backend().upload(new long[2 * 2 * 3], Shape.of(2, 2, 3))) {
            rejects(() -> new CrossEntropyLoss().forward(x, t).close(), "target");
        }
    }

    @Test
    void crossEntropyWeightOfWrongLength() {
        try (Tensor x = logits(3, 4); Tensor t = classes(0, 1, 2)) {
            rejects(() -> new CrossEntropyLoss(new float[] {1, 2, 3}, -100, Reduction.MEAN, 0).forward(x, t).close(),
                    "weight tensor should be defined either for all 4 classes or no classes");
            rejects(() -> new NLLLoss(new float[] {1, 2, 3, 4, 5}, -100, Reduction.SUM).forward(x, t).close(),
                    "weight tensor should be defined either for all 4 classes or no classes");
        }
    }

    @Test
    void labelSmoothingOutOfRange() {
        rejects(() -> new CrossEntropyLoss(null, -100, Reduction.MEAN, 1.5),
                "label_smoothing must be between 0.0 and 1.0. Got: 1.5");
        rejects(() -> new CrossEntropyLoss(null, -100, Reduction.MEAN, -0.1),
                "label_smoothing must be between 0.0 and 1.0. Got: -0.1");
        rejects(() -> new CrossEntropyLoss(null, -100, Reduction.MEAN, Double.NaN), "label_smoothing");
    }

    @Test
    void mseShapeMismatch() {
        try (Tensor x = logits(2, 3); Tensor t = logits(2, 4); Tensor longs = backend().upload(new long[6], Shape.of(2, 3))) {
            rejects(() -> new MSELoss().forward(x, t).close(), "MSELoss", "2, 3", "2, 4");
            rejects(() -> new MSELoss(Reduction.NONE).forward(x, longs).close(), "float32", "int64");
        }
    }

    @Test
    void bceWithLogitsShapeMismatch() {
        try (Tensor x = logits(2, 3); Tensor t = logits(2, 4)) {
            rejects(() -> new BCEWithLogitsLoss().forward(x, t).close(), "must be the same as input size");
            rejects(() -> new BCEWithLogitsLoss(null, Reduction.MEAN, new float[] {1, 2}).forward(x, logits(2, 3)).close(),
                    "pos_weight");
        }
    }

    @Test
    void unknownReductionAndNullArguments() {
        rejects(() -> Reduction.fromTorchName("average"), "average", "is not a valid value for reduction");
        rejects(() -> new MSELoss(null), "reduction");
        try (Tensor x = logits(2, 3)) {
            rejects(() -> new MSELoss().forward(x, null), "MSELoss");
        }
    }

    @Test
    void backwardOfAnUnreducedLossNeedsAGradOutput() {
        try (Tensor x = logits(3, 4); Tensor t = classes(0, 1, 2); Tape tape = Tape.start();
             Tensor l = new CrossEntropyLoss(null, -100, Reduction.NONE, 0).forward(x, t)) {
            rejects(() -> tape.backward(l).close(), "grad can be implicitly created only for scalar outputs");
        }
    }

    // ---- optimizers ---------------------------------------------------------------------------------

    private Linear linear() {
        return new Linear(2, 2, true, backend(), 1);
    }

    @Test
    void invalidLearningRate() {
        try (Linear m = linear()) {
            rejects(() -> new SGD(m, -0.1), "Invalid learning rate: -0.1");
            rejects(() -> new SGD(m, Double.NaN), "Invalid learning rate");
            rejects(() -> new Adam(m, -0.01), "Invalid learning rate: -0.01");
            rejects(() -> new AdamW(m, -1), "Invalid learning rate: -1");
            rejects(() -> new Adam(m).lr(-2), "Invalid learning rate: -2");
        }
    }

    @Test
    void invalidBetas() {
        try (Linear m = linear()) {
            rejects(() -> new Adam(m).betas(1.0, 0.999), "Invalid beta parameter at index 0: 1.0");
            rejects(() -> new Adam(m).betas(-0.1, 0.999), "Invalid beta parameter at index 0: -0.1");
            rejects(() -> new AdamW(m).betas(0.9, 1.5), "Invalid beta parameter at index 1: 1.5");
            rejects(() -> new AdamW(m).betas(0.9, -0.5), "Invalid beta parameter at index 1: -0.5");
        }
    }

    @Test
    void invalidEpsAndWeightDecay() {
        try (Linear m = linear()) {
            rejects(() -> new Adam(m).eps(-1e-8), "Invalid epsilon value");
            rejects(() -> new AdamW(m).eps(-0.5), "Invalid epsilon value: -0.5");
            rejects(() -> new Adam(m).weightDecay(-0.1), "Invalid weight_decay value: -0.1");
            rejects(() -> new SGD(m, 0.1).weightDecay(-0.25), "Invalid weight_decay value: -0.25");
        }
    }

    @Test
    void invalidMomentum() {
        try (Linear m = linear()) {
            rejects(() -> new SGD(m, 0.1).momentum(-0.5), "Invalid momentum value: -0.5");
        }
    }

    @Test
    void nesterovWithoutMomentumOrWithDampening() {
        try (Linear m = linear()) {
            // PyTorch rejects it at construction; here it may be rejected by the setter or at the first step
            rejects(() -> {
                try (SGD s = new SGD(m, 0.1).nesterov(true)) {
                    s.step();
                }
            }, "Nesterov momentum requires a momentum and zero dampening");
            rejects(() -> {
                try (SGD s = new SGD(m, 0.1).momentum(0.9).dampening(0.1).nesterov(true)) {
                    s.step();
                }
            }, "Nesterov momentum requires a momentum and zero dampening");
        }
    }

    @Test
    void optimizerOfNothing() {
        rejects(() -> new SGD(null, 0.1), "model");
        try (org.layers4j.nn.activation.ReLU relu = new org.layers4j.nn.activation.ReLU(backend())) {
            rejects(() -> new Adam(relu), "optimizer got an empty parameter list");
        }
    }
}
