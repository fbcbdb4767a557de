package org.layers4j.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.layers4j.spi.UnaryOp;

/**
 * Vector API {@link PointwiseKernels} on the preferred species; tails run the scalar formula. Reached only
 * through {@link VectorKernels}, so it is loaded only where the module is present. exp, sigmoid and tanh go
 * through {@link VectorMath}, never {@code lanewise(EXP / TANH)}, whose last bit differs between the
 * interpreter and C2: each lane gives {@link DetMath}'s bits, the bits the scalar tail gives.
 */
final class VectorPointwise implements PointwiseKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ScalarPointwise TAIL = new ScalarPointwise();
    /** Doubles in a preferred vector, and floats as many in half its width: widened by one conversion. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(32 * D.length()));

    private static int bound(int from, int to) {
        return from + S.loopBound(to - from);
    }

    @Override
    public double sumDouble(int len, float[] x, int xOff) {
        int n = D.length();
        DoubleVector s0 = DoubleVector.zero(D);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        int t = 0;
        for (; t + 4 * n <= len; t += 4 * n) {
            s0 = s0.add(FloatVector.fromArray(HALF, x, xOff + t).castShape(D, 0));
            s1 = s1.add(FloatVector.fromArray(HALF, x, xOff + t + n).castShape(D, 0));
            s2 = s2.add(FloatVector.fromArray(HALF, x, xOff + t + 2 * n).castShape(D, 0));
            s3 = s3.add(FloatVector.fromArray(HALF, x, xOff + t + 3 * n).castShape(D, 0));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD) + TAIL.sumDouble(len - t, x, xOff + t);
    }

    @Override
    public void relu(int from, int to, float[] x, float[] y) {
        int i = from;
        FloatVector zero = FloatVector.zero(S);
        for (int e = bound(from, to); i < e; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.blend(zero, v.compare(VectorOperators.LE, 0f)).intoArray(y, i);
        }
        TAIL.relu(i, to, x, y);
    }

    @Override
    public int winnerLanes() {
        return VectorWinners.L;
    }

    @Override
    public boolean winners3x3Stride2(float[] x, int row0, int row1, int row2, int col, float[] y, int yOff,
                                     float[] codes) {
        return VectorWinners.find(x, row0, row1, row2, col, y, yOff, codes);
    }

    @Override
    public void biasResidualRelu(int len, float[] x, int xOff, float b, float[] r, boolean relu, float[] y, int yOff) {
        FloatVector zero = FloatVector.zero(S);
        int e = S.loopBound(len);
        int t = 0;
        if (r != null && relu) {
            for (; t < e; t += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + t).add(b).add(FloatVector.fromArray(S, r, yOff + t));
                v.blend(zero, v.compare(VectorOperators.LE, 0f)).intoArray(y, yOff + t);
            }
        } else if (r != null) {
            for (; t < e; t += L) {
                FloatVector.fromArray(S, x, xOff + t).add(b).add(FloatVector.fromArray(S, r, yOff + t))
                        .intoArray(y, yOff + t);
            }
        } else if (relu) {
            for (; t < e; t += L) {
                FloatVector v = FloatVector.fromArray(S, x, xOff + t).add(b);
                v.blend(zero, v.compare(VectorOperators.LE, 0f)).intoArray(y, yOff + t);
            }
        }
        TAIL.biasResidualRelu(len - t, x, xOff + t, b, r, relu, y, yOff + t);
    }

    @Override
    public void reluBackward(int from, int to, float[] x, float[] dy, float[] dx) {
        int i = from;
        FloatVector zero = FloatVector.zero(S);
        for (int e = bound(from, to); i < e; i += L) {
            VectorMask<Float> off = FloatVector.fromArray(S, x, i).compare(VectorOperators.LE, 0f);
            FloatVector.fromArray(S, dy, i).blend(zero, off).intoArray(dx, i);
        }
        TAIL.reluBackward(i, to, x, dy, dx);
    }

    @Override
    public void leakyRelu(int from, int to, float slope, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, i);
        }
        TAIL.leakyRelu(i, to, slope, x, y);
    }

    @Override
    public void leakyReluBackward(int from, int to, float slope, float[] x, float[] dy, float[] dx) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            VectorMask<Float> on = FloatVector.fromArray(S, x, i).compare(VectorOperators.GT, 0f);
            FloatVector g = FloatVector.fromArray(S, dy, i);
            g.mul(slope).blend(g, on).intoArray(dx, i);
        }
        TAIL.leakyReluBackward(i, to, slope, x, dy, dx);
    }

    @Override
    public void sigmoid(int from, int to, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            VectorMath.sigmoid(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        TAIL.sigmoid(i, to, x, y);
    }

    @Override
    public void silu(int from, int to, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            silu(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        TAIL.silu(i, to, x, y);
    }

    @Override
    public void hardtanh(int from, int to, float lo, float hi, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            clamp(FloatVector.fromArray(S, x, i), lo, hi).intoArray(y, i);
        }
        TAIL.hardtanh(i, to, lo, hi, x, y);
    }

    @Override
    public void hardswish(int from, int to, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            hardswish(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        TAIL.hardswish(i, to, x, y);
    }

    @Override
    public void hardsigmoid(int from, int to, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            hardsigmoid(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        TAIL.hardsigmoid(i, to, x, y);
    }

    private static FloatVector silu(FloatVector v) {
        return v.mul(VectorMath.sigmoid(v));
    }

    private static FloatVector hardswish(FloatVector v) {
        return v.mul(clamp(v.add(3f), 0f, 6f)).div(6f);
    }

    private static FloatVector hardsigmoid(FloatVector v) {
        return clamp(v.add(3f), 0f, 6f).div(6f);
    }

    @Override
    public void biasActivation(UnaryOp op, int len, float[] x, int xOff, float b, float[] y, int yOff) {
        UnaryOp.Kind kind = op.kind();
        if (kind != UnaryOp.Kind.SILU && kind != UnaryOp.Kind.HARDSWISH && kind != UnaryOp.Kind.HARDSIGMOID
                && kind != UnaryOp.Kind.HARDTANH) {
            PointwiseKernels.super.biasActivation(op, len, x, xOff, b, y, yOff);
            return;
        }
        float lo = kind == UnaryOp.Kind.HARDTANH ? (float) op.min() : 0f;
        float hi = kind == UnaryOp.Kind.HARDTANH ? (float) op.max() : 0f;
        int e = S.loopBound(len);
        int t = 0;
        // x + b rounds once, as affine's fma(x - 0, 1, b) does; the activations are the methods' own vector steps. One
        // loop per activation: a vector merged from several branches inside the loop is not scalar-replaced by C2
        // (each iteration then allocates it; EfficientNet-B0 ran twice as slow)
        if (kind == UnaryOp.Kind.SILU) {
            for (; t < e; t += L) {
                silu(FloatVector.fromArray(S, x, xOff + t).add(b)).intoArray(y, yOff + t);
            }
        } else if (kind == UnaryOp.Kind.HARDSWISH) {
            for (; t < e; t += L) {
                hardswish(FloatVector.fromArray(S, x, xOff + t).add(b)).intoArray(y, yOff + t);
            }
        } else if (kind == UnaryOp.Kind.HARDSIGMOID) {
            for (; t < e; t += L) {
                hardsigmoid(FloatVector.fromArray(S, x, xOff + t).add(b)).intoArray(y, yOff + t);
            }
        } else {
            for (; t < e; t += L) {
                clamp(FloatVector.fromArray(S, x, xOff + t).add(b), lo, hi).intoArray(y, yOff + t);
            }
        }
        TAIL.biasActivation(op, len - t, x, xOff + t, b, y, yOff + t);
    }

    /** v &lt; lo ? lo : v, then &gt; hi ? hi : that, as {@link UnaryKernels} compares (a NaN stays NaN). */
    private static FloatVector clamp(FloatVector v, float lo, float hi) {
        FloatVector c = v.blend(lo, v.compare(VectorOperators.LT, lo));
        return c.blend(hi, c.compare(VectorOperators.GT, hi));
    }

    @Override
    public void sigmoidBackward(int from, int to, float[] y, float[] dy, float[] dx) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            FloatVector v = FloatVector.fromArray(S, y, i);
            FloatVector.fromArray(S, dy, i).mul(v).mul(v.neg().add(1f)).intoArray(dx, i);
        }
        TAIL.sigmoidBackward(i, to, y, dy, dx);
    }

    @Override
    public void tanh(int from, int to, float[] x, float[] y) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            VectorMath.tanh(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        TAIL.tanh(i, to, x, y);
    }

    @Override
    public void tanhBackward(int from, int to, float[] y, float[] dy, float[] dx) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            FloatVector v = FloatVector.fromArray(S, y, i);
            FloatVector.fromArray(S, dy, i).mul(v.mul(v).neg().add(1f)).intoArray(dx, i);
        }
        TAIL.tanhBackward(i, to, y, dy, dx);
    }

    @Override
    public void add(int from, int to, float[] a, float[] b, float[] out) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(out, i);
        }
        TAIL.add(i, to, a, b, out);
    }

    @Override
    public void multiply(int from, int to, float[] a, float[] b, float[] out) {
        int i = from;
        for (int e = bound(from, to); i < e; i += L) {
            FloatVector.fromArray(S, a, i).mul(FloatVector.fromArray(S, b, i)).intoArray(out, i);
        }
        TAIL.multiply(i, to, a, b, out);
    }

    @Override
    public void scale(int len, float s, float[] x, int xOff, float[] y, int yOff) {
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector.fromArray(S, x, xOff + t).mul(s).intoArray(y, yOff + t);
        }
        TAIL.scale(len - t, s, x, xOff + t, y, yOff + t);
    }

    @Override
    public void scaleRows(int rows, int len, float[] s, int sOff, float[] x, int xOff, float[] y, int yOff) {
        // a row's last partial vector as a whole one where y is neither input: its lanes past the row land on the
        // next row's first outputs, stored after them (short rows: no scalar tail per row), inside the run
        boolean spill = y != x && y != s;
        int end = yOff + rows * len;
        for (int r = 0; r < rows; r++) {
            FloatVector sv = FloatVector.broadcast(S, s[sOff + r]);
            int xo = xOff + r * len;
            int yo = yOff + r * len;
            int t = 0;
            for (int e = S.loopBound(len); t < e; t += L) {
                FloatVector.fromArray(S, x, xo + t).mul(sv).intoArray(y, yo + t);
            }
            if (t < len) {
                if (spill && yo + t + L <= end && xo + t + L <= x.length) {
                    FloatVector.fromArray(S, x, xo + t).mul(sv).intoArray(y, yo + t);
                } else {
                    TAIL.scale(len - t, s[sOff + r], x, xo + t, y, yo + t);
                }
            }
        }
    }

    @Override
    public void columnReduce(int h, int w, float[] x, int off, boolean max, float[] row) {
        int len = (w + L - 1) / L * L;
        if (off + (h - 1) * w + len > x.length || (w > L && max)) {
            PointwiseKernels.super.columnReduce(h, w, x, off, max, row);
            return;
        }
        if (max) {
            // a plane no wider than a vector: its rows combined in one register, in row order (lanes past w are junk)
            FloatVector acc = FloatVector.fromArray(S, x, off);
            for (int i = 1; i < h; i++) {
                acc = acc.max(FloatVector.fromArray(S, x, off + i * w));
            }
            acc.intoArray(row, 0);
            return;
        }
        // the column sums in registers, strips of up to four vectors swept down the rows in row order (lanes past w
        // are junk: the next row's values; a plane no wider than a vector is one strip). Added into `row` in memory,
        // each row's step waited on the store of the one before: 144 planes of 56 x 56 took 0.08 ms on two threads
        int j = 0;
        for (; j + 4 * L <= len; j += 4 * L) {
            sumColumns4(h, w, x, off + j, row, j);
        }
        for (; j < len; j += L) {
            FloatVector acc = FloatVector.fromArray(S, x, off + j);
            for (int i = 1; i < h; i++) {
                acc = acc.add(FloatVector.fromArray(S, x, off + i * w + j));
            }
            acc.intoArray(row, j);
        }
    }

    /** Four vectors of column sums, row[j ..] = the rows of x[at ..] (w apart) added in row order. */
    private static void sumColumns4(int h, int w, float[] x, int at, float[] row, int j) {
        FloatVector a0 = FloatVector.fromArray(S, x, at);
        FloatVector a1 = FloatVector.fromArray(S, x, at + L);
        FloatVector a2 = FloatVector.fromArray(S, x, at + 2 * L);
        FloatVector a3 = FloatVector.fromArray(S, x, at + 3 * L);
        for (int i = 1; i < h; i++) {
            int r = at + i * w;
            a0 = a0.add(FloatVector.fromArray(S, x, r));
            a1 = a1.add(FloatVector.fromArray(S, x, r + L));
            a2 = a2.add(FloatVector.fromArray(S, x, r + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, x, r + 3 * L));
        }
        a0.intoArray(row, j);
        a1.intoArray(row, j + L);
        a2.intoArray(row, j + 2 * L);
        a3.intoArray(row, j + 3 * L);
    }

    @Override
    public void interleavedMeans(int h, int w, int lanes, float[] v, int off, float[] y, int yOff) {
        if (lanes != L) {
            PointwiseKernels.super.interleavedMeans(h, w, lanes, v, off, y, yOff);
            return;
        }
        FloatVector s = FloatVector.zero(S);
        for (int c = 0; c < w; c++) {
            FloatVector col = FloatVector.fromArray(S, v, off + c * L);
            for (int r = 1; r < h; r++) {
                col = col.add(FloatVector.fromArray(S, v, off + (r * w + c) * L));
            }
            s = s.add(col);
        }
        s.div((float) (h * w)).intoArray(y, yOff);
    }

    @Override
    public void addInto(int len, float[] x, int xOff, float[] y, int yOff) {
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector.fromArray(S, y, yOff + t).add(FloatVector.fromArray(S, x, xOff + t)).intoArray(y, yOff + t);
        }
        TAIL.addInto(len - t, x, xOff + t, y, yOff + t);
    }

    @Override
    public void divideInto(int len, float[] x, int xOff, float[] y, int yOff) {
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector.fromArray(S, y, yOff + t).div(FloatVector.fromArray(S, x, xOff + t)).intoArray(y, yOff + t);
        }
        TAIL.divideInto(len - t, x, xOff + t, y, yOff + t);
    }

    @Override
    public void maxInto(int len, float[] x, int xOff, float[] y, int yOff) {
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector.fromArray(S, y, yOff + t).max(FloatVector.fromArray(S, x, xOff + t)).intoArray(y, yOff + t);
        }
        TAIL.maxInto(len - t, x, xOff + t, y, yOff + t);
    }

    @Override
    public float max(int len, float[] x, int xOff) {
        int t = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (len >= L) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int e = S.loopBound(len); t < e; t += L) {
                acc = acc.max(FloatVector.fromArray(S, x, xOff + t));
            }
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        return Math.max(m, TAIL.max(len - t, x, xOff + t));
    }

    @Override
    public float sumSquaredDeviation(int len, float[] x, int xOff, float center) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int t = 0;
        for (; t + 2 * L <= len; t += 2 * L) {
            FloatVector d0 = FloatVector.fromArray(S, x, xOff + t).sub(center);
            FloatVector d1 = FloatVector.fromArray(S, x, xOff + t + L).sub(center);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD) + TAIL.sumSquaredDeviation(len - t, x, xOff + t, center);
    }

    @Override
    public float dotCentered(int len, float[] a, int aOff, float[] b, int bOff, float center) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int t = 0;
        for (; t + 2 * L <= len; t += 2 * L) {
            s0 = FloatVector.fromArray(S, a, aOff + t).fma(FloatVector.fromArray(S, b, bOff + t).sub(center), s0);
            s1 = FloatVector.fromArray(S, a, aOff + t + L).fma(FloatVector.fromArray(S, b, bOff + t + L).sub(center), s1);
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD) + TAIL.dotCentered(len - t, a, aOff + t, b, bOff + t, center);
    }

    @Override
    public void affine(int len, float[] x, int xOff, float center, float scale, float shift, float[] y, int yOff) {
        if (len < L) {
            TAIL.affine(len, x, xOff, center, scale, shift, y, yOff);
            return;
        }
        FloatVector sc = FloatVector.broadcast(S, scale);
        FloatVector sh = FloatVector.broadcast(S, shift);
        // the tail as the whole vector ending at len, loaded before any store (x may be y): the lanes it shares
        // with the last whole vector are computed the same way, so they are written twice with the same value
        FloatVector last = FloatVector.fromArray(S, x, xOff + len - L);
        int e = S.loopBound(len);
        for (int t = 0; t < e; t += L) {
            FloatVector.fromArray(S, x, xOff + t).sub(center).fma(sc, sh).intoArray(y, yOff + t);
        }
        if (e < len) {
            last.sub(center).fma(sc, sh).intoArray(y, yOff + len - L);
        }
    }

    @Override
    public void combine(int len, float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float center,
                        float gamma, float[] out, int outOff) {
        FloatVector al = FloatVector.broadcast(S, alpha);
        FloatVector be = FloatVector.broadcast(S, beta);
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector r = FloatVector.fromArray(S, b, bOff + t).sub(center).fma(be, FloatVector.broadcast(S, gamma));
            FloatVector.fromArray(S, a, aOff + t).fma(al, r).intoArray(out, outOff + t);
        }
        TAIL.combine(len - t, alpha, a, aOff + t, beta, b, bOff + t, center, gamma, out, outOff + t);
    }

    @Override
    public float expShift(int len, float[] x, int xOff, float shift, float[] y, int yOff) {
        FloatVector s = FloatVector.zero(S);
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector v = VectorMath.exp(FloatVector.fromArray(S, x, xOff + t).sub(shift));
            v.intoArray(y, yOff + t);
            s = s.add(v);
        }
        return s.reduceLanes(VectorOperators.ADD) + TAIL.expShift(len - t, x, xOff + t, shift, y, yOff + t);
    }

    @Override
    public void productCentered(int len, float[] a, int aOff, float[] b, int bOff, float center, float[] out, int outOff) {
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            FloatVector.fromArray(S, a, aOff + t).mul(FloatVector.fromArray(S, b, bOff + t).sub(center))
                    .intoArray(out, outOff + t);
        }
        TAIL.productCentered(len - t, a, aOff + t, b, bOff + t, center, out, outOff + t);
    }

    @Override
    public void logSoftmaxGrad(int len, float[] y, int yOff, float[] dy, int dyOff, float s, float[] dx, int dxOff) {
        FloatVector ns = FloatVector.broadcast(S, -s);
        int t = 0;
        for (int e = S.loopBound(len); t < e; t += L) {
            VectorMath.exp(FloatVector.fromArray(S, y, yOff + t)).fma(ns, FloatVector.fromArray(S, dy, dyOff + t))
                    .intoArray(dx, dxOff + t);
        }
        TAIL.logSoftmaxGrad(len - t, y, yOff + t, dy, dyOff + t, s, dx, dxOff + t);
    }
}
