package org.layers4j.nn.norm;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.spi.Backend;

/**
 * What BatchNorm1d and BatchNorm2d share, PyTorch's {@code _BatchNorm}: per-channel normalization of
 * x viewed as [N, C, S]. In training mode (or without running statistics) it uses the batch's mean and
 * biased variance and, when {@code track_running_stats}, updates running_mean / running_var with
 * {@code momentum} (or, for momentum None, the cumulative average 1 / num_batches_tracked) from the
 * unbiased variance; in eval mode it uses the running statistics. {@code affine} adds weight (ones)
 * and bias (zeros). Backward differentiates through whichever statistics the forward used; the
 * forward keeps the input and the batch statistics it computed.
 */
public abstract class BatchNorm extends Module {
    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final Parameter numBatchesTracked;
    private final Object statsLock = new Object();

    BatchNorm(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        String op = getClass().getSimpleName();
        if (numFeatures <= 0) {
            throw new IllegalArgumentException(op + ": num_features must be positive, but got " + numFeatures);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be a positive finite number, but got " + eps);
        }
        if (momentum != null && !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(op + ": momentum must be in [0, 1] or None, but got " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        Backend be = backend();
        Shape c = Shape.of(numFeatures);
        this.weight = affine ? registerParameter("weight", be.upload(Init.filled(numFeatures, 1f), c)) : null;
        this.bias = affine ? registerParameter("bias", be.allocate(c)) : null;
        if (trackRunningStats) {
            this.runningMean = registerBuffer("running_mean", be.allocate(c));
            this.runningVar = registerBuffer("running_var", be.upload(Init.filled(numFeatures, 1f), c));
            this.numBatchesTracked = registerBuffer("num_batches_tracked", be.upload(new long[] {0}, Shape.of()));
        } else {
            this.runningMean = null;
            this.runningVar = null;
            this.numBatchesTracked = null;
        }
    }

    /** Checks the input's rank for this class (PyTorch's _check_input_dim). */
    abstract void checkInputDim(Shape s);

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    /** momentum, or null for a cumulative moving average. */
    public Double momentum() {
        return momentum;
    }

    public boolean affine() {
        return weight != null;
    }

    public boolean trackRunningStats() {
        return runningMean != null;
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        String op = getClass().getSimpleName();
        Shape s = requireInput(op, input);
        checkInputDim(s);
        if (s.dim(1) != numFeatures) {
            throw new IllegalArgumentException(op + ": running_mean should contain " + s.dim(1) + " elements not "
                    + numFeatures + " (input " + s.dimsString() + " has " + s.dim(1) + " channels, the layer "
                    + numFeatures + ")");
        }
        int spatial = s.size() / Math.max(1, s.dim(0) * s.dim(1));
        boolean batchStats = isTraining() || runningMean == null;
        Tensor w = weight == null ? null : weight.data();
        Tensor b = bias == null ? null : bias.data();
        if (!batchStats) {
            Tensor mean = runningMean.data();
            Tensor var = runningVar.data();
            Tensor out = compute(be, s, y -> be.normalization().batchNormInference(input, mean, var, w, b, eps, y),
                    input, mean, var, w, b);
            return record(op, out, tensors(input), params(weight, bias), tensors(input, mean, var, w),
                    (dy, k) -> inferenceBackward(be, k[0], dy, k[1], k[2], k[3]));
        }
        if (isTraining() && (long) s.dim(0) * spatial == 1) {
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                    + s);
        }
        if (s.size() == 0) {
            // PyTorch: an empty batch counts as a batch (num_batches_tracked += 1) but leaves the running
            // statistics alone; the output is empty and every gradient zeros
            if (isTraining() && runningMean != null) {
                synchronized (statsLock) {
                    incrementBatches();
                }
            }
            return record(op, be.allocate(s), tensors(input), params(weight, bias), tensors(), (dy, k) -> {
                throw new IllegalStateException("an empty batch has no backward to run");
            });
        }
        Shape c = Shape.of(numFeatures);
        Tensor saveMean = be.allocate(c);
        Tensor saveInvStd = be.allocate(c);
        try {
            Tensor out;
            if (isTraining() && runningMean != null) {
                synchronized (statsLock) {
                    double factor = momentum != null ? momentum : 1.0 / incrementBatches();
                    if (momentum != null) {
                        incrementBatches();
                    }
                    Tensor rm = runningMean.data();
                    Tensor rv = runningVar.data();
                    out = compute(be, s, y -> be.normalization().batchNormTraining(input, w, b, eps, factor, rm, rv, y,
                            saveMean, saveInvStd), input, w, b, rm, rv, saveMean, saveInvStd);
                    runningMean.markModified(); // updated in place by the backend
                    runningVar.markModified();
                }
            } else {
                out = compute(be, s, y -> be.normalization().batchNormTraining(input, w, b, eps, 0, null, null, y,
                        saveMean, saveInvStd), input, w, b, saveMean, saveInvStd);
            }
            return record(op, out, tensors(input), params(weight, bias), tensors(input, w, saveMean, saveInvStd),
                    (dy, k) -> trainingBackward(be, k[0], dy, k[1], k[2], k[3]));
        } finally {
            saveMean.close();
            saveInvStd.close();
        }
    }

    /** num_batches_tracked += 1 (kept as an int64 scalar on the backend); returns the new count. */
    private long incrementBatches() {
        Tensor t = numBatchesTracked.data();
        long next = t.toLongArray()[0] + 1;
        replace(numBatchesTracked, backend().upload(new long[] {next}, t.shape()));
        return next;
    }

    /** The kernel of one backward: given dx, dWeight and dBias (the last two null without affine). */
    private interface BackwardKernel {
        void run(Tensor dx, Tensor dWeight, Tensor dBias);
    }

    private Tensor[] trainingBackward(Backend be, Tensor x, Tensor dy, Tensor w, Tensor mean, Tensor invStd) {
        return backward(be, x, dy, (dx, dw, db) ->
                be.normalization().batchNormTrainingBackward(x, dy, w, mean, invStd, dx, dw, db));
    }

    private Tensor[] inferenceBackward(Backend be, Tensor x, Tensor dy, Tensor mean, Tensor var, Tensor w) {
        return backward(be, x, dy, (dx, dw, db) ->
                be.normalization().batchNormInferenceBackward(x, dy, mean, var, w, eps, dx, dw, db));
    }

    private Tensor[] backward(Backend be, Tensor x, Tensor dy, BackwardKernel kernel) {
        Shape c = Shape.of(numFeatures);
        Tensor dx = be.allocate(x.shape());
        Tensor dw = weight == null ? null : be.allocate(c);
        Tensor db = weight == null ? null : be.allocate(c);
        try {
            kernel.run(dx, dw, db);
        } catch (RuntimeException e) {
            closeAll(dx, dw, db);
            throw e;
        } finally {
            java.lang.ref.Reference.reachabilityFence(x);
            java.lang.ref.Reference.reachabilityFence(dy);
        }
        return weight == null ? new Tensor[] {dx} : new Tensor[] {dx, dw, db};
    }

    private static void closeAll(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + (momentum == null ? "None" : momentum) + ", affine="
                + (affine() ? "True" : "False") + ", track_running_stats=" + (trackRunningStats() ? "True" : "False");
    }
}
