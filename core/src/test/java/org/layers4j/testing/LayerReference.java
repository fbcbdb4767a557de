package org.layers4j.testing;

import java.util.Arrays;

/**
 * Float64 reference implementations of the non-convolution layers, written with plain loops from
 * PyTorch's documented semantics (never calling the library): forward, and backward for the loss
 * L = sum(y * dy). Tensors are row-major double arrays; batched layouts are spelled out per method.
 * {@link BackendLayerDifferentialTests} compares every backend against these.
 */
public final class LayerReference {
    private LayerReference() {
    }

    /** Output, input gradient and parameter gradients (null where a layer has none). */
    public record Result(double[] output, double[] gradInput, double[] gradWeight, double[] gradBias) {
        static Result of(double[] y, double[] dx) {
            return new Result(y, dx, null, null);
        }
    }

    // ---- Linear ---------------------------------------------------------------------------------

    /** y[m, o] = sum_i x[m, i] w[o, i] + b[o], x = [rows, in] (leading dims flattened), w = [out, in]. */
    public static Result linear(int rows, int in, int out, double[] x, double[] w, double[] b, double[] dy) {
        double[] y = new double[rows * out];
        double[] dx = new double[rows * in];
        double[] dw = new double[out * in];
        double[] db = b == null ? null : new double[out];
        for (int m = 0; m < rows; m++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += x[m * in + i] * w[o * in + i];
                }
                y[m * out + o] = s;
                double g = dy[m * out + o];
                for (int i = 0; i < in; i++) {
                    dx[m * in + i] += g * w[o * in + i];
                    dw[o * in + i] += g * x[m * in + i];
                }
                if (db != null) {
                    db[o] += g;
                }
            }
        }
        return new Result(y, dx, dw, db);
    }

    // ---- fixed-window pooling -------------------------------------------------------------------

    /** A pooling configuration over [n, c, h, w] (1-D pooling: h = 1, kh = 1, sh = 1, ph = 0, dh = 1). */
    public record Pool(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       boolean ceil, boolean countIncludePad, Integer divisorOverride) {
        public int outH() {
            return outputSize(h, kh, ph, sh, dh, ceil);
        }

        public int outW() {
            return outputSize(w, kw, pw, sw, dw, ceil);
        }
    }

    /**
     * PyTorch's pooling output size: floor or ceil of (in + 2p - d(k - 1) - 1) / s, plus one; in ceil
     * mode a last window that starts at or past in + p (entirely in the right padding) is dropped.
     */
    public static int outputSize(int in, int k, int p, int s, int d, boolean ceil) {
        long num = (long) in + 2L * p - (long) d * (k - 1) - 1;
        long q = ceil ? -Math.floorDiv(-num, s) : Math.floorDiv(num, s);
        long out = q + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return (int) out;
    }

    /**
     * Max pooling: padded cells never take part; a NaN in the window wins (the last NaN scanned, as
     * PyTorch's CPU kernel, irrelevant when an input has one NaN); among equal maxima the first in
     * row-major window order wins and takes the whole gradient. A window of only -inf keeps PyTorch's
     * initial index (its first valid cell). A window with no input cell at all (possible with dilation:
     * every tap in the padding) gives -inf and its gradient is dropped here; PyTorch's CPU kernel sends it
     * to an index outside the window, so tests avoid such configurations ({@link #hasEmptyWindow}).
     */
    public static Result maxPool(Pool p, double[] x, double[] dy) {
        int oh = p.outH();
        int ow = p.outW();
        double[] y = new double[p.n() * p.c() * oh * ow];
        double[] dx = new double[x.length];
        for (int nc = 0; nc < p.n() * p.c(); nc++) {
            int base = nc * p.h() * p.w();
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int h0 = i * p.sh() - p.ph();
                    int w0 = j * p.sw() - p.pw();
                    int best = -1;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < p.kh(); ky++) {
                        int yy = h0 + ky * p.dh();
                        if (yy < 0 || yy >= p.h()) {
                            continue;
                        }
                        for (int kx = 0; kx < p.kw(); kx++) {
                            int xx = w0 + kx * p.dw();
                            if (xx < 0 || xx >= p.w()) {
                                continue;
                            }
                            int idx = base + yy * p.w() + xx;
                            double v = x[idx];
                            if (best < 0) {
                                best = idx; // PyTorch's initial index: the first valid cell
                            }
                            if (v > max || Double.isNaN(v)) {
                                max = v;
                                best = idx;
                            }
                        }
                    }
                    int o = (nc * oh + i) * ow + j;
                    y[o] = max;
                    if (best >= 0) {
                        dx[best] += dy[o];
                    }
                }
            }
        }
        return Result.of(y, dx);
    }

    /** Whether some max-pooling window has no tap inside the input (every tap in the padding). */
    public static boolean hasEmptyWindow(Pool p) {
        return emptyAxis(p.h(), p.kh(), p.sh(), p.ph(), p.dh(), p.outH())
                || emptyAxis(p.w(), p.kw(), p.sw(), p.pw(), p.dw(), p.outW());
    }

    private static boolean emptyAxis(int in, int k, int s, int pad, int d, int out) {
        for (int i = 0; i < out; i++) {
            boolean any = false;
            for (int t = 0; t < k; t++) {
                int at = i * s - pad + t * d;
                any |= at >= 0 && at < in;
            }
            if (!any) {
                return true;
            }
        }
        return false;
    }

    /**
     * Average pooling, PyTorch's divisor rule: the window [start, start + k) is clipped to in + pad for
     * the count_include_pad size, then to the input for the summed cells and the exclude-pad size;
     * divisor_override replaces both. A window with no input cell gives 0.
     */
    public static Result avgPool(Pool p, double[] x, double[] dy) {
        int oh = p.outH();
        int ow = p.outW();
        double[] y = new double[p.n() * p.c() * oh * ow];
        double[] dx = new double[x.length];
        for (int nc = 0; nc < p.n() * p.c(); nc++) {
            int base = nc * p.h() * p.w();
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int h0 = i * p.sh() - p.ph();
                    int w0 = j * p.sw() - p.pw();
                    int h1 = Math.min(h0 + p.kh(), p.h() + p.ph());
                    int w1 = Math.min(w0 + p.kw(), p.w() + p.pw());
                    int padded = (h1 - h0) * (w1 - w0);
                    h0 = Math.max(h0, 0);
                    w0 = Math.max(w0, 0);
                    h1 = Math.min(h1, p.h());
                    w1 = Math.min(w1, p.w());
                    int o = (nc * oh + i) * ow + j;
                    if (h0 >= h1 || w0 >= w1) {
                        y[o] = 0;
                        continue;
                    }
                    double div = p.divisorOverride() != null ? p.divisorOverride()
                            : p.countIncludePad() ? padded : (h1 - h0) * (w1 - w0);
                    double s = 0;
                    for (int yy = h0; yy < h1; yy++) {
                        for (int xx = w0; xx < w1; xx++) {
                            s += x[base + yy * p.w() + xx];
                            dx[base + yy * p.w() + xx] += dy[o] / div;
                        }
                    }
                    y[o] = s / div;
                }
            }
        }
        return Result.of(y, dx);
    }

    // ---- adaptive pooling -----------------------------------------------------------------------

    static int adaptiveStart(int i, int in, int out) {
        return (int) Math.floorDiv((long) i * in, out);
    }

    static int adaptiveEnd(int i, int in, int out) {
        return (int) -Math.floorDiv(-(long) (i + 1) * in, out);
    }

    /** Adaptive average (max = false) or max pooling of x[nc, h, w] to [nc, oh, ow] (1-D: h = oh = 1). */
    public static Result adaptivePool(boolean max, int nc, int h, int w, int oh, int ow, double[] x, double[] dy) {
        double[] y = new double[nc * oh * ow];
        double[] dx = new double[x.length];
        for (int c = 0; c < nc; c++) {
            int base = c * h * w;
            for (int i = 0; i < oh; i++) {
                int h0 = adaptiveStart(i, h, oh);
                int h1 = adaptiveEnd(i, h, oh);
                for (int j = 0; j < ow; j++) {
                    int w0 = adaptiveStart(j, w, ow);
                    int w1 = adaptiveEnd(j, w, ow);
                    int o = (c * oh + i) * ow + j;
                    if (max) {
                        int best = base + h0 * w + w0;
                        double m = Double.NEGATIVE_INFINITY;
                        for (int yy = h0; yy < h1; yy++) {
                            for (int xx = w0; xx < w1; xx++) {
                                double v = x[base + yy * w + xx];
                                if (v > m || Double.isNaN(v)) {
                                    m = v;
                                    best = base + yy * w + xx;
                                }
                            }
                        }
                        y[o] = m;
                        dx[best] += dy[o];
                    } else {
                        int count = (h1 - h0) * (w1 - w0);
                        double s = 0;
                        for (int yy = h0; yy < h1; yy++) {
                            for (int xx = w0; xx < w1; xx++) {
                                s += x[base + yy * w + xx];
                                dx[base + yy * w + xx] += dy[o] / count;
                            }
                        }
                        y[o] = s / count;
                    }
                }
            }
        }
        return Result.of(y, dx);
    }

    // ---- BatchNorm ------------------------------------------------------------------------------

    /** BatchNorm's result: the layer's output and gradients plus the running buffers after the forward. */
    public record Norm(Result result, double[] runningMean, double[] runningVar, long numBatchesTracked) {
    }

    /**
     * BatchNorm over x viewed as [n, c, s]. Batch statistics (training, or no running statistics): the
     * batch mean and biased variance normalize; when training with running statistics, running_mean /
     * running_var move by the factor (momentum, or 1 / num_batches_tracked after the increment when
     * momentum is null) towards the batch mean and the unbiased variance. Otherwise (eval with running
     * statistics) the running statistics normalize. w / b null without affine; rm / rv null without
     * track_running_stats. Backward differentiates through whichever statistics were used.
     */
    public static Norm batchNorm(boolean training, int n, int c, int s, double[] x, double[] w, double[] b,
                                 double[] rm, double[] rv, long tracked, Double momentum, double eps, double[] dy) {
        boolean batchStats = training || rm == null;
        int m = n * s;
        double[] mean = new double[c];
        double[] invStd = new double[c];
        double[] newRm = rm == null ? null : rm.clone();
        double[] newRv = rv == null ? null : rv.clone();
        long newTracked = tracked;
        if (batchStats) {
            for (int ch = 0; ch < c; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < s; k++) {
                        sum += x[(i * c + ch) * s + k];
                    }
                }
                mean[ch] = sum / m;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < s; k++) {
                        double d = x[(i * c + ch) * s + k] - mean[ch];
                        sq += d * d;
                    }
                }
                double var = sq / m;
                invStd[ch] = 1 / Math.sqrt(var + eps);
                if (training && rm != null) {
                    double unbiased = m > 1 ? sq / (m - 1) : Double.NaN;
                    long t = tracked + 1;
                    double f = momentum != null ? momentum : 1.0 / t;
                    newRm[ch] = (1 - f) * rm[ch] + f * mean[ch];
                    newRv[ch] = (1 - f) * rv[ch] + f * unbiased;
                }
            }
            if (training && rm != null) {
                newTracked = tracked + 1;
            }
        } else {
            for (int ch = 0; ch < c; ch++) {
                mean[ch] = rm[ch];
                invStd[ch] = 1 / Math.sqrt(rv[ch] + eps);
            }
        }
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        double[] dw = w == null ? null : new double[c];
        double[] db = w == null ? null : new double[c];
        for (int ch = 0; ch < c; ch++) {
            double g = w == null ? 1 : w[ch];
            double beta = b == null ? 0 : b[ch];
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    int at = (i * c + ch) * s + k;
                    double xhat = (x[at] - mean[ch]) * invStd[ch];
                    y[at] = g * xhat + beta;
                    sumDy += dy[at];
                    sumDyXhat += dy[at] * xhat;
                }
            }
            if (dw != null) {
                dw[ch] = sumDyXhat;
                db[ch] = sumDy;
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s; k++) {
                    int at = (i * c + ch) * s + k;
                    if (batchStats) {
                        double xhat = (x[at] - mean[ch]) * invStd[ch];
                        // d/dx of g * xhat with xhat depending on the batch mean and variance
                        dx[at] = g * invStd[ch] * (dy[at] - sumDy / m - xhat * sumDyXhat / m);
                    } else {
                        dx[at] = g * invStd[ch] * dy[at];
                    }
                }
            }
        }
        return new Norm(new Result(y, dx, dw, db), newRm, newRv, newTracked);
    }

    // ---- Embedding ------------------------------------------------------------------------------

    /** y[i, :] = weight[idx[i], :]; dweight[r] = sum of dy rows looking up r, except r = padding_idx (>= 0 or null). */
    public static Result embedding(long[] idx, double[] weight, int dim, Integer paddingIdx, double[] dy) {
        double[] y = new double[idx.length * dim];
        double[] dw = new double[weight.length];
        for (int i = 0; i < idx.length; i++) {
            int r = (int) idx[i];
            for (int e = 0; e < dim; e++) {
                y[i * dim + e] = weight[r * dim + e];
                if (paddingIdx == null || r != paddingIdx) {
                    dw[r * dim + e] += dy[i * dim + e];
                }
            }
        }
        return new Result(y, null, dw, null);
    }

    // ---- activations ----------------------------------------------------------------------------

    /**
     * softmax (or log_softmax) of x viewed as [outer, size, inner] along the middle axis, with the
     * maximum subtracted. Backward: softmax dx = y (dy - sum(dy y)); log_softmax dx = dy - exp(y) sum(dy).
     */
    public static Result softmax(boolean log, int outer, int size, int inner, double[] x, double[] dy) {
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < size; k++) {
                    max = Math.max(max, x[(o * size + k) * inner + in]);
                }
                double sum = 0;
                for (int k = 0; k < size; k++) {
                    sum += Math.exp(x[(o * size + k) * inner + in] - max);
                }
                double dot = 0;
                for (int k = 0; k < size; k++) {
                    int at = (o * size + k) * inner + in;
                    double shifted = x[at] - max;
                    y[at] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
                    dot += log ? dy[at] : dy[at] * y[at];
                }
                for (int k = 0; k < size; k++) {
                    int at = (o * size + k) * inner + in;
                    dx[at] = log ? dy[at] - Math.exp(y[at]) * dot : y[at] * (dy[at] - dot);
                }
            }
        }
        return Result.of(y, dx);
    }

    /** sigmoid(x) = 1 / (1 + exp(-x)); dx = dy y (1 - y). */
    public static Result sigmoid(double[] x, double[] dy) {
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] >= 0 ? 1 / (1 + Math.exp(-x[i])) : Math.exp(x[i]) / (1 + Math.exp(x[i]));
            dx[i] = dy[i] * y[i] * (1 - y[i]);
        }
        return Result.of(y, dx);
    }

    /** tanh(x); dx = dy (1 - y^2). */
    public static Result tanh(double[] x, double[] dy) {
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.tanh(x[i]);
            dx[i] = dy[i] * (1 - y[i] * y[i]);
        }
        return Result.of(y, dx);
    }

    /** x for x > 0, else slope x; dx = dy for x > 0, else slope dy (slope at exactly 0, as PyTorch). */
    public static Result leakyRelu(double slope, double[] x, double[] dy) {
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] > 0 ? x[i] : slope * x[i];
            dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];
        }
        return Result.of(y, dx);
    }

    /** Flatten, Dropout in eval mode (or p = 0): the values unchanged, the gradient passed through. */
    public static Result identity(double[] x, double[] dy) {
        return Result.of(x.clone(), dy.clone());
    }

    /** The shape Flatten(start, end) gives (negative dims count from the end; a scalar becomes [1]). */
    public static int[] flattenShape(int[] dims, int start, int end) {
        if (dims.length == 0) {
            return new int[] {1};
        }
        int a = start < 0 ? start + dims.length : start;
        int b = end < 0 ? end + dims.length : end;
        int[] out = new int[dims.length - (b - a)];
        int merged = 1;
        for (int i = a; i <= b; i++) {
            merged *= dims[i];
        }
        System.arraycopy(dims, 0, out, 0, a);
        out[a] = merged;
        System.arraycopy(dims, b + 1, out, a + 1, dims.length - b - 1);
        return out;
    }

    // ---- Functional -----------------------------------------------------------------------------

    /** a + b; both gradients are dy. */
    public static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    /** x.permute(perm) for non-negative perm: output axis i is input axis perm[i]. */
    public static double[] permute(double[] x, int[] dims, int[] perm) {
        int rank = dims.length;
        int[] outDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            outDims[i] = dims[perm[i]];
        }
        int[] inStrides = strides(dims);
        double[] y = new double[x.length];
        int[] idx = new int[rank];
        for (int o = 0; o < y.length; o++) {
            int rem = o;
            for (int i = rank - 1; i >= 0; i--) {
                idx[i] = rem % outDims[i];
                rem /= outDims[i];
            }
            int src = 0;
            for (int i = 0; i < rank; i++) {
                src += idx[i] * inStrides[perm[i]];
            }
            y[o] = x[src];
        }
        return y;
    }

    /** The permutation that undoes perm (the gradient of permute(perm) is permute(inverse)). */
    public static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inv[perm[i]] = i;
        }
        return inv;
    }

    public static int[] permutedDims(int[] dims, int[] perm) {
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = dims[perm[i]];
        }
        return out;
    }

    private static int[] strides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Product of dims. */
    public static int size(int... dims) {
        return Arrays.stream(dims).reduce(1, (p, q) -> p * q);
    }
}
