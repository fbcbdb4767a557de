package org.layers4j.cpu;

import java.util.List;
import java.util.Locale;
import org.layers4j.spi.ConvGeometry;

/**
 * Chooses and runs the algorithm of each convolution pass. Convolutions with one input channel per
 * group and few outputs per group (depthwise) run as direct vectorized loops ({@link DirectConvolution});
 * every other forward is an indirect GEMM over a padded, polyphase input band ({@link IndirectConvolution}),
 * or, for planes so small that a band's panels would be mostly junk, one GEMM over the batch's output
 * positions with im2col panels ({@link Im2colConvolution}).
 * Backward data at stride 1 is the forward convolution of the output gradient with flipped, transposed
 * weights, so it runs on the same kernels; other strides use a GEMM into a column tile followed by
 * col2im ({@link Col2imBackwardData}). The weight gradient is computed from the forward's band buffers: as a
 * transposed GEMM on the forward's micro-tile when the output channels fill its panels
 * ({@link TransposedWeightGradient}), with the output channels of a group in one vector's lanes when they are
 * exactly one vector ({@link LaneWeightGradient}), else as blocks of dot products ({@link BandWeightGradient}).
 * The kernels also multiply padding and junk zeros, which an infinity turns into
 * NaN; {@link NonFiniteRepair} recomputes the elements this can affect, only when a non-finite value is present.
 * Work is split into independent tasks (image x group x band, input channels, or weight columns) so that no
 * two tasks write the same element and no reduction between threads is needed.
 */
final class ConvEngine {
    /** Stride phases (sh x sw) beyond which a geometry does not use polyphase bands ({@link #hugeStride}). */
    static final int MAX_PHASES = 64;
    /** Elements per task of an epilogue that runs as a pass of its own. */
    private static final int FINISH_CHUNK = 1 << 14;
    /**
     * Tuning override of the weight-gradient path (a system property, for A/B measurements): {@code auto}, or
     * {@code dot}, {@code transposed}, {@code lanes} to use that path wherever it applies.
     */
    static final String WEIGHT_GRADIENT_KEY = "layers4j.cpu.weightGradient";

    private final Kernels kn;
    private final ParallelRunner runner;
    private final DirectConvolution direct;
    private final IndirectConvolution indirect;
    private final Im2colConvolution im2col;
    private final BandWeightGradient weightGradient;
    private final TransposedWeightGradient transposedWeightGradient;
    private final LaneWeightGradient laneWeightGradient;
    private final boolean lanesAllowed;
    private final Col2imBackwardData col2im;

    ConvEngine(Kernels kn, ParallelRunner runner, ArrayPool pool) {
        this.kn = kn;
        this.runner = runner;
        this.direct = new DirectConvolution(kn, runner);
        this.indirect = new IndirectConvolution(kn, runner);
        this.im2col = new Im2colConvolution(kn, runner, indirect);
        this.weightGradient = new BandWeightGradient(kn, runner);
        String choice = System.getProperty(WEIGHT_GRADIENT_KEY, "auto").trim().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "dot", "transposed", "lanes").contains(choice)) {
            throw new IllegalArgumentException(WEIGHT_GRADIENT_KEY + " must be auto, dot, transposed or lanes, but got '"
                    + System.getProperty(WEIGHT_GRADIENT_KEY) + "'");
        }
        this.transposedWeightGradient = new TransposedWeightGradient(kn, runner, pool, choice);
        this.laneWeightGradient = new LaneWeightGradient(kn, runner);
        this.lanesAllowed = choice.equals("auto") || choice.equals("lanes");
        this.col2im = new Col2imBackwardData(kn, runner);
    }

    /** Whether the direct (depthwise) kernels handle this geometry. */
    boolean isDirect(ConvGeometry g) {
        return g.cPerGroup() == 1 && g.kPerGroup() < kn.mr();
    }

    /**
     * Packs prepared weights' row-major panels now (what every GEMM path but the small-plane position classes reads),
     * which lets their plain values go when nothing else holds them; weights of the direct path stay as they are.
     */
    void packNow(PreparedWeights p) {
        ConvGeometry g = p.kernelGeometry();
        if (!isDirect(g)) {
            p.panels(indirect, g, RowBlocks.of(g.kPerGroup(), kn), false);
        }
    }

    /**
     * y = conv(x, w) through the epilogue (bias, residual, activation), applied where each path writes its outputs.
     * Weights that may hold a NaN or infinity take the repair of {@link NonFiniteRepair}, which recomputes outputs of
     * the convolution and its bias: the residual and the activation then run as a pass of their own after it.
     */
    void forward(ConvGeometry g, float[] x, ConvWeights w, Epilogue ep, float[] y) {
        if (!w.mayHoldNonFinite(kn, g.k() * g.cPerGroup() * g.kh() * g.kw())) {
            forwardKernels(g, x, w, ep, y);
            return;
        }
        forwardKernels(g, x, w, ep.biasOnly(), y);
        NonFiniteRepair.forward(runner, g, x, w.values(), ep.bias(), y);
        if (ep.finishes()) {
            int chunks = (y.length + FINISH_CHUNK - 1) / FINISH_CHUNK;
            runner.run(chunks, c -> ep.finish(y, c * FINISH_CHUNK, Math.min(y.length, (c + 1) * FINISH_CHUNK)));
        }
    }

    /**
     * y = conv(x * scale, w) through the epilogue, scale[n * c] one value per image and input channel, for a
     * {@link IndirectConvolution#isPointwise} geometry: the products are read with the input and never stored. Weights
     * that may hold a NaN or infinity take {@link #forward} on the scaled input itself (the repair recomputes outputs
     * from its input).
     */
    void forwardScaled(ConvGeometry g, float[] x, float[] scale, ConvWeights w, Epilogue ep, float[] y) {
        if (w.mayHoldNonFinite(kn, g.k() * g.cPerGroup())) {
            float[] xs = new float[x.length];
            indirect.scalePlanes(g.n() * g.c(), g.h() * g.w(), x, scale, xs);
            forward(g, xs, w, ep, y);
            return;
        }
        indirect.pointwise(g, x, scale, w, ep, y);
    }

    /**
     * Whether the stride is too large for polyphase bands (one plane per stride phase and channel): strides up to
     * 2^31 - 1 are valid when the padded extent allows one or two outputs. Those geometries take the im2col
     * forward, col2im backward data and a gather loop for the weight gradient, all in 32-bit index arithmetic.
     */
    static boolean hugeStride(ConvGeometry g) {
        return (long) g.strideH() * g.strideW() > MAX_PHASES;
    }

    private void forwardKernels(ConvGeometry g, float[] x, ConvWeights w, Epilogue ep, float[] y) {
        if (isDirect(g) && !hugeStride(g)) {
            direct.forward(g, x, w.values(), ep, y);
            return;
        }
        if (hugeStride(g) || !IndirectConvolution.isStridedPointwise(g) && im2col.prefers(g)) {
            im2col.forward(g, x, w, ep, y);
            return;
        }
        indirect.forward(g, x, w, ep, y);
    }

    void backwardData(ConvGeometry g, float[] dy, float[] w, float[] dx) {
        backwardDataKernels(g, dy, w, dx);
        NonFiniteRepair.backwardData(kn, runner, g, dy, w, dx);
    }

    private void backwardDataKernels(ConvGeometry g, float[] dy, float[] w, float[] dx) {
        int kh = g.kh();
        int kw = g.kw();
        int flipPadH = g.dilationH() * (kh - 1) - g.padH();
        int flipPadW = g.dilationW() * (kw - 1) - g.padW();
        if (g.strideH() == 1 && g.strideW() == 1 && flipPadH >= 0 && flipPadW >= 0) {
            // dx = dy (full-)correlated with the flipped kernel: a forward convolution with roles of C and K swapped
            ConvGeometry t = new ConvGeometry(g.n(), g.k(), g.outH(), g.outW(), g.c(), kh, kw, 1, 1,
                    flipPadH, flipPadW, g.dilationH(), g.dilationW(), g.groups());
            forwardKernels(t, dy, ConvWeights.of(flippedWeights(g, w)), Epilogue.NONE, dx);
            return;
        }
        col2im.backwardData(g, dy, w, dx);
    }

    void backwardFilter(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        if (hugeStride(g)) {
            gatherBackwardFilter(g, x, dy, dw);
        } else if (isDirect(g)) {
            direct.backwardFilter(g, x, dy, dw);
        } else if (lanesAllowed && laneWeightGradient.suits(g)) {
            laneWeightGradient.backwardFilter(g, x, dy, dw);
        } else {
            TransposedWeightGradient.Plan plan = transposedWeightGradient.plan(g);
            if (plan != null) {
                transposedWeightGradient.backwardFilter(plan, x, dy, dw);
            } else {
                weightGradient.backwardFilter(g, x, dy, dw);
            }
        }
        NonFiniteRepair.backwardFilter(kn, runner, g, x, dy, dw);
    }

    /**
     * The weight gradient of {@link #hugeStride} geometries, whose outputs are few by construction: each element
     * summed directly over the outputs ({@link NonFiniteRepair#weightElement}, in double).
     */
    private void gatherBackwardFilter(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        int kk = g.kh() * g.kw();
        int per = g.cPerGroup() * kk;
        runner.run(g.k(), k -> {
            for (int d = 0; d < per; d++) {
                int tap = d % kk;
                dw[k * per + d] = NonFiniteRepair.weightElement(g, x, dy, k, d / kk, tap / g.kw(), tap % g.kw());
            }
        });
    }

    /** W'[g*Cg + c][k][KH-1-i][KW-1-j] = W[g*Kg + k][c][i][j]: the kernel of the transposed convolution. */
    private static float[] flippedWeights(ConvGeometry g, float[] w) {
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        float[] f = Workspace.get().floats(Workspace.Slot.WEIGHTS, w.length);
        for (int grp = 0; grp < g.groups(); grp++) {
            for (int k = 0; k < kg; k++) {
                for (int c = 0; c < cg; c++) {
                    int src = ((grp * kg + k) * cg + c) * kk;
                    int dst = ((grp * cg + c) * kg + k) * kk;
                    for (int i = 0; i < kk; i++) {
                        f[dst + kk - 1 - i] = w[src + i];
                    }
                }
            }
        }
        return f;
    }
}
