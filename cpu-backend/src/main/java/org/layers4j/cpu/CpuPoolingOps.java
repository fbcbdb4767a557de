package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.PoolGeometry;
import org.layers4j.spi.PoolingOps;

/**
 * Max and average pooling, one task per group of (n, c) planes. Forward passes are separable: the input
 * rows of an output row's window are first combined (max or sum) into one row with the vector kernels,
 * then each output reduces its window's columns of that row (also vectorized at stride 1, where
 * consecutive outputs read consecutive columns). Max backward re-finds each window's winner from x and y
 * (PyTorch's: the first maximum in row-major order; with NaNs, the last NaN, as PyTorch's
 * {@code val > max || isnan(val)} scan picks) and adds the gradient there; average backward spreads
 * dy / divisor over a row and adds that row into every input row of the window.
 */
final class CpuPoolingOps implements PoolingOps {
    /**
     * Most values per plane of a global average pooling that runs on interleaved planes ({@link #interleavedMeans}):
     * 1152 planes of 7 x 7, two threads, 0.029 -> 0.018 ms (AVX2 0.028 -> 0.019), at batch 8 0.134 -> 0.092; 672 of
     * 14 x 14 0.0135 -> 0.024 on AVX-512 (its rows fill a vector), so larger planes stay plane by plane.
     */
    static final int INTERLEAVED_MEAN_MAX = 8 * 8;

    private final Kernels kn;
    private final PointwiseKernels pk;
    private final Elementwise split;

    CpuPoolingOps(Kernels kn, Elementwise split) {
        this.kn = kn;
        this.pk = kn.pointwise();
        this.split = split;
    }

    /** First window tap index of a window starting at start whose tap lands at or after 0. */
    private static int firstTap(int start, int dilation) {
        return start >= 0 ? 0 : (-start + dilation - 1) / dilation;
    }

    /** One past the last window tap index that lands before size. */
    private static int endTap(int start, int dilation, int taps, int size) {
        if (start >= size) {
            return 0;
        }
        return Math.min(taps, (size - 1 - start) / dilation + 1);
    }

    /** Per output column c: [taps[2c], taps[2c + 1]) are the window taps inside the input (once per call). */
    private static int[] columnTaps(PoolGeometry g) {
        int[] taps = new int[2 * g.outW()];
        for (int c = 0; c < g.outW(); c++) {
            int w0 = g.colStart(c);
            taps[2 * c] = firstTap(w0, g.dilationW());
            taps[2 * c + 1] = endTap(w0, g.dilationW(), g.kw(), g.w());
        }
        return taps;
    }

    @Override
    public void maxForward(PoolGeometry g, Tensor x, Tensor y) {
        windowForward(g, CpuStorage.of(x), CpuStorage.overwrite(y), true);
    }

    @Override
    public void avgForward(PoolGeometry g, Tensor x, Tensor y) {
        windowForward(g, CpuStorage.of(x), CpuStorage.overwrite(y), false);
    }

    private void windowForward(PoolGeometry g, float[] x, float[] y, boolean max) {
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int dw = g.dilationW();
        // outputs whose window columns all lie inside the input: [lo, hi)
        int lo = 0;
        while (lo < ow && g.colStart(lo) < 0) {
            lo++;
        }
        int hi = lo;
        while (hi < ow && g.colStart(hi) + (g.kw() - 1) * dw < w) {
            hi++;
        }
        int interiorLo = lo;
        int interiorHi = hi;
        int[] taps = columnTaps(g);
        float[] div = max ? null : divisors(g);
        int sw = g.strideW();
        // strided rows are read as sw phases (phase b at b*phaseLen holds row[t*sw + b]): each tap of the interior
        // outputs is then a unit-stride run of one phase, at phaseShift[j]
        int phaseLen = (w + sw - 1) / sw;
        PhasePairs pairs = sw == 2 ? new PhasePairs(w, 0, phaseLen) : null;
        int[] phaseOff = new int[g.kw()];
        for (int j = 0; j < g.kw(); j++) {
            int s = j * dw - g.padW();
            phaseOff[j] = Math.floorMod(s, sw) * phaseLen + Math.floorDiv(s, sw);
        }
        split.forPlanes(g.n() * g.c(), h * w, p -> {
            Workspace ws = Workspace.get();
            float[] row = ws.floats(Workspace.Slot.ROW, w);
            float[] phases = sw == 1 ? null : ws.floats(Workspace.Slot.ROW2, sw * phaseLen);
            int xp = p * h * w;
            for (int r = 0; r < oh; r++) {
                int yo = (p * oh + r) * ow;
                int h0 = g.rowStart(r);
                int i0 = firstTap(h0, g.dilationH());
                int i1 = endTap(h0, g.dilationH(), g.kh(), h);
                if (i0 >= i1) {
                    Arrays.fill(y, yo, yo + ow, max ? Float.NEGATIVE_INFINITY : 0f);
                    continue;
                }
                System.arraycopy(x, xp + (h0 + i0 * g.dilationH()) * w, row, 0, w);
                for (int i = i0 + 1; i < i1; i++) {
                    int src = xp + (h0 + i * g.dilationH()) * w;
                    if (max) {
                        pk.maxInto(w, x, src, row, 0);
                    } else {
                        pk.addInto(w, x, src, row, 0);
                    }
                }
                int vecLo = interiorLo;
                for (int c = 0; c < ow; c++) {
                    if (c == vecLo && vecLo < interiorHi) {
                        // outputs [lo, hi) read row[start + j*dw + t*sw] for t = 0.. in lock step: at stride 1 the row
                        // itself, else phase (j*dw - pw) mod sw from column lo + floorDiv(j*dw - pw, sw)
                        int len = interiorHi - vecLo;
                        float[] src = row;
                        int start = g.colStart(vecLo);
                        if (sw == 2) {
                            // both phases in one pass over the row (two loads, a permute and a blend per phase vector)
                            pairs.row(kn, row, 0, phases, 0, phaseLen, false);
                            src = phases;
                        } else if (sw > 1) {
                            for (int b = 0; b < sw; b++) {
                                // phase b: row[t*sw + b] for t*sw + b < w
                                kn.gather((w - b + sw - 1) / sw, row, b, sw, phases, b * phaseLen);
                            }
                            src = phases;
                        }
                        for (int j = 0; j < g.kw(); j++) {
                            int from = sw > 1 ? phaseOff[j] + vecLo : start + j * dw;
                            if (j == 0) {
                                System.arraycopy(src, from, y, yo + vecLo, len);
                            } else if (max) {
                                pk.maxInto(len, src, from, y, yo + vecLo);
                            } else {
                                pk.addInto(len, src, from, y, yo + vecLo);
                            }
                        }
                        c = interiorHi - 1;
                        continue;
                    }
                    int w0 = g.colStart(c);
                    int j0 = taps[2 * c];
                    int j1 = taps[2 * c + 1];
                    if (max) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int j = j0; j < j1; j++) {
                            m = Math.max(m, row[w0 + j * dw]);
                        }
                        y[yo + c] = m;
                    } else if (j0 >= j1) {
                        y[yo + c] = 0f;
                    } else {
                        float s = 0f;
                        for (int j = j0; j < j1; j++) {
                            s += row[w0 + j * dw];
                        }
                        y[yo + c] = s;
                    }
                }
                if (!max) {
                    pk.divideInto(ow, div, r * ow, y, yo);
                }
            }
        });
    }

    /**
     * PoolGeometry's divisor of every output cell of a plane (1 where the window holds no input cell, whose
     * output is 0), in the calling thread's scratch: read by the tasks while this call runs.
     */
    private static float[] divisors(PoolGeometry g) {
        float[] div = Workspace.get().floats(Workspace.Slot.DIVISORS, g.outH() * g.outW());
        for (int r = 0; r < g.outH(); r++) {
            int h0 = g.rowStart(r);
            boolean rows = firstTap(h0, g.dilationH()) < endTap(h0, g.dilationH(), g.kh(), g.h());
            for (int c = 0; c < g.outW(); c++) {
                int w0 = g.colStart(c);
                boolean cols = firstTap(w0, g.dilationW()) < endTap(w0, g.dilationW(), g.kw(), g.w());
                div[r * g.outW() + c] = rows && cols ? g.divisor(r, c) : 1f;
            }
        }
        return div;
    }

    @Override
    public void maxBackward(PoolGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.of(y);
        float[] gv = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int[] taps = columnTaps(g);
        // 3 x 3 windows at stride 2 (ResNet's stem pool): the winners of whole vectors of a row's outputs at once,
        // where all three window rows are inside the input and every read of the block lies inside its rows
        int lanes = pk.winnerLanes();
        boolean blocks = lanes > 0 && g.kh() == 3 && g.kw() == 3 && g.strideH() == 2 && g.strideW() == 2
                && g.dilationH() == 1 && g.dilationW() == 1;
        int cLo = blocks ? (g.padW() + 1) / 2 : ow;
        // the block at c0 reads columns 2*c0 - padW .. 2*c0 - padW + 2*lanes + 1
        int cEnd = blocks ? Math.min(ow, Math.floorDiv(w - 2 - 2 * lanes + g.padW(), 2) + lanes) : 0;
        int[] cellOffset = {0, 1, 2, w, w + 1, w + 2, 2 * w, 2 * w + 1, 2 * w + 2}; // of window cell 3i + j
        split.forPlanes(g.n() * g.c(), h * w, p -> {
            int xp = p * h * w;
            float[] codes = lanes > 0 ? Workspace.get().floats(Workspace.Slot.ROW, lanes) : null;
            Arrays.fill(d, xp, xp + h * w, 0f);
            for (int r = 0; r < oh; r++) {
                int h0 = g.rowStart(r);
                int i0 = firstTap(h0, g.dilationH());
                int i1 = endTap(h0, g.dilationH(), g.kh(), h);
                boolean rowBlocks = blocks && i0 == 0 && i1 == 3;
                for (int c = 0; c < ow; c++) {
                    int o = (p * oh + r) * ow + c;
                    if (rowBlocks && c >= cLo && c + lanes <= cEnd) {
                        int row0 = xp + h0 * w;
                        int col = 2 * c - g.padW();
                        if (pk.winners3x3Stride2(xv, row0, row0 + w, row0 + 2 * w, col, yv, o, codes)) {
                            for (int t = 0; t < lanes; t++) {
                                d[row0 + cellOffset[(int) codes[t]] + col + 2 * t] += gv[o + t];
                            }
                            c += lanes - 1;
                            continue;
                        }
                    }
                    int w0 = g.colStart(c);
                    int j0 = taps[2 * c];
                    int j1 = taps[2 * c + 1];
                    int at = MaxPoolWinner.find(xv, yv[o], xp, w, h0, i0, i1, g.dilationH(), w0, j0, j1, g.dilationW());
                    if (at >= 0) {
                        d[at] += gv[o];
                    }
                }
            }
        });
    }

    @Override
    public void avgBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        float[] gv = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int dw = g.dilationW();
        int[] taps = columnTaps(g);
        float[] div = divisors(g);
        int lo = 0;
        while (lo < ow && g.colStart(lo) < 0) {
            lo++;
        }
        int hi = lo;
        while (hi < ow && g.colStart(hi) + (g.kw() - 1) * dw < w) {
            hi++;
        }
        // stride 1: the interior outputs' shares are added to the row as kw shifted vectors
        int vecLo = g.strideW() == 1 ? lo : ow;
        int vecHi = g.strideW() == 1 ? hi : ow;
        split.forPlanes(g.n() * g.c(), h * w, p -> {
            Workspace ws = Workspace.get();
            float[] row = ws.floats(Workspace.Slot.ROW, w);
            float[] share = ws.floats(Workspace.Slot.ROW2, ow);
            int xp = p * h * w;
            Arrays.fill(d, xp, xp + h * w, 0f);
            for (int r = 0; r < oh; r++) {
                int h0 = g.rowStart(r);
                int i0 = firstTap(h0, g.dilationH());
                int i1 = endTap(h0, g.dilationH(), g.kh(), h);
                if (i0 >= i1) {
                    continue;
                }
                System.arraycopy(gv, (p * oh + r) * ow, share, 0, ow);
                pk.divideInto(ow, div, r * ow, share, 0);
                Arrays.fill(row, 0, w, 0f);
                if (vecLo < vecHi) {
                    int start = g.colStart(vecLo);
                    for (int j = 0; j < g.kw(); j++) {
                        pk.addInto(vecHi - vecLo, share, vecLo, row, start + j * dw);
                    }
                }
                for (int c = 0; c < ow; c++) {
                    if (c == vecLo && vecLo < vecHi) {
                        c = vecHi - 1;
                        continue;
                    }
                    int w0 = g.colStart(c);
                    for (int j = taps[2 * c]; j < taps[2 * c + 1]; j++) {
                        row[w0 + j * dw] += share[c];
                    }
                }
                for (int i = i0; i < i1; i++) {
                    pk.addInto(w, row, 0, d, xp + (h0 + i * g.dilationH()) * w);
                }
            }
        });
    }

    /** [n*c, h, w] of a pooling tensor: rank 4 as it is, rank 3 as height 1. */
    private static int[] planes(Shape s) {
        if (s.rank() == 3) {
            return new int[] {s.dim(0) * s.dim(1), 1, s.dim(2)};
        }
        return new int[] {s.dim(0) * s.dim(1), s.dim(2), s.dim(3)};
    }

    private static int start(int i, int in, int out) {
        return (int) ((long) i * in / out);
    }

    private static int end(int i, int in, int out) {
        return (int) (((long) (i + 1) * in + out - 1) / out);
    }

    @Override
    public void adaptiveAvgForward(Tensor x, Tensor y) {
        adaptiveForward(x, y, false);
    }

    @Override
    public void adaptiveMaxForward(Tensor x, Tensor y) {
        adaptiveForward(x, y, true);
    }

    private void adaptiveForward(Tensor x, Tensor y, boolean max) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        int[] in = planes(x.shape());
        int[] out = planes(y.shape());
        int h = in[1];
        int w = in[2];
        int oh = out[1];
        int ow = out[2];
        // rows are combined over whole vectors where x has the values past a row's end (the next row's: junk lanes
        // of the scratch row that no output reads), so narrow planes (7 x 7, 14 x 14) take no scalar tail per row
        // (PointwiseKernels#columnReduce)
        int wPad = (w + 15) & ~15;
        int first = 0;
        if (!max && oh == 1 && ow == 1) {
            first = interleavedMeans(xv, yv, in[0], h, w);
        }
        int from = first;
        split.forPlanes(in[0] - from, h * w, q -> {
            int p = q + from;
            float[] row = Workspace.get().floats(Workspace.Slot.ROW, wPad);
            int xp = p * h * w;
            for (int r = 0; r < oh; r++) {
                int hs = start(r, h, oh);
                int he = end(r, h, oh);
                pk.columnReduce(he - hs, w, xv, xp + hs * w, max, row);
                int yo = (p * oh + r) * ow;
                for (int c = 0; c < ow; c++) {
                    int ws = start(c, w, ow);
                    int we = end(c, w, ow);
                    if (max) {
                        yv[yo + c] = pk.max(we - ws, row, ws);
                    } else {
                        float s = 0f;
                        for (int t = ws; t < we; t++) {
                            s += row[t];
                        }
                        yv[yo + c] = s / ((he - hs) * (we - ws));
                    }
                }
            }
        });
    }

    /**
     * Global average pooling of small planes, {@link Kernels#depthwiseLanes()} planes at a time: their values copied
     * channel-interleaved ({@link Kernels#interleave}: transposed blocks), then reduced in vector lanes in the order the
     * plane-by-plane loop uses ({@link PointwiseKernels#interleavedMeans}: the same bits), the means stored as one
     * vector. One plane at a time, a 7 x 7 plane is one vector of 16 lanes of which 7 are used, and the row sum a scalar
     * chain. Returns how many planes, from the first, it pooled: whole blocks of planes of at most {@link
     * #INTERLEAVED_MEAN_MAX} values, none without the kernels.
     */
    private int interleavedMeans(float[] x, float[] y, int planes, int h, int w) {
        int lanes = kn.depthwiseLanes();
        int size = h * w;
        if (lanes == 0 || size > INTERLEAVED_MEAN_MAX || planes < lanes) {
            return 0;
        }
        int blocks = planes / lanes;
        int[] slots = new int[size];
        for (int p = 0; p < size; p++) {
            slots[p] = p * lanes;
        }
        split.forPlanes(blocks, size * lanes, b -> {
            float[] v = Workspace.get().floats(Workspace.Slot.ROW2, size * lanes);
            kn.interleave(x, b * lanes * size, size, 0, size, v, 0, slots);
            pk.interleavedMeans(h, w, lanes, v, 0, y, b * lanes);
        });
        return blocks * lanes;
    }

    @Override
    public void adaptiveAvgBackward(Tensor dy, Tensor dx) {
        float[] gv = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        int[] in = planes(dx.shape());
        int[] out = planes(dy.shape());
        int h = in[1];
        int w = in[2];
        int oh = out[1];
        int ow = out[2];
        split.forPlanes(in[0], h * w, p -> {
            float[] row = Workspace.get().floats(Workspace.Slot.ROW, w);
            int xp = p * h * w;
            Arrays.fill(d, xp, xp + h * w, 0f);
            for (int r = 0; r < oh; r++) {
                int hs = start(r, h, oh);
                int he = end(r, h, oh);
                Arrays.fill(row, 0, w, 0f);
                for (int c = 0; c < ow; c++) {
                    int ws = start(c, w, ow);
                    int we = end(c, w, ow);
                    float share = gv[(p * oh + r) * ow + c] / ((he - hs) * (we - ws));
                    for (int t = ws; t < we; t++) {
                        row[t] += share;
                    }
                }
                for (int ih = hs; ih < he; ih++) {
                    pk.addInto(w, row, 0, d, xp + ih * w);
                }
            }
        });
    }

    @Override
    public void adaptiveMaxBackward(Tensor x, Tensor y, Tensor dy, Tensor dx) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.of(y);
        float[] gv = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        int[] in = planes(x.shape());
        int[] out = planes(y.shape());
        int h = in[1];
        int w = in[2];
        int oh = out[1];
        int ow = out[2];
        split.forPlanes(in[0], h * w, p -> {
            int xp = p * h * w;
            Arrays.fill(d, xp, xp + h * w, 0f);
            for (int r = 0; r < oh; r++) {
                int hs = start(r, h, oh);
                int he = end(r, h, oh);
                for (int c = 0; c < ow; c++) {
                    int ws = start(c, w, ow);
                    int we = end(c, w, ow);
                    int o = (p * oh + r) * ow + c;
                    int at = MaxPoolWinner.find(xv, yv[o], xp, w, hs, 0, he - hs, 1, ws, 0, we - ws, 1);
                    if (at >= 0) {
                        d[at] += gv[o];
                    }
                }
            }
        });
    }
}
