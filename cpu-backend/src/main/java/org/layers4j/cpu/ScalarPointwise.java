package org.layers4j.cpu;

/**
 * Plain-Java {@link PointwiseKernels}: simple loops the JIT can unroll (and partly auto-vectorize). exp,
 * sigmoid and tanh are {@link DetMath}'s, the bits {@link VectorPointwise}'s lanes give.
 */
final class ScalarPointwise implements PointwiseKernels {

    @Override
    public void relu(int from, int to, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            float v = x[i];
            y[i] = v <= 0f ? 0f : v;
        }
    }

    @Override
    public void reluBackward(int from, int to, float[] x, float[] dy, float[] dx) {
        for (int i = from; i < to; i++) {
            dx[i] = x[i] <= 0f ? 0f : dy[i];
        }
    }

    @Override
    public void leakyRelu(int from, int to, float slope, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            float v = x[i];
            y[i] = v > 0f ? v : v * slope;
        }
    }

    @Override
    public void leakyReluBackward(int from, int to, float slope, float[] x, float[] dy, float[] dx) {
        for (int i = from; i < to; i++) {
            dx[i] = x[i] > 0f ? dy[i] : dy[i] * slope;
        }
    }

    @Override
    public void sigmoid(int from, int to, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            y[i] = DetMath.sigmoid(x[i]);
        }
    }

    @Override
    public void silu(int from, int to, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            float v = x[i];
            y[i] = v * DetMath.sigmoid(v);
        }
    }

    @Override
    public void hardtanh(int from, int to, float lo, float hi, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            y[i] = UnaryKernels.hardtanh(x[i], lo, hi);
        }
    }

    @Override
    public void hardswish(int from, int to, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            y[i] = UnaryKernels.hardswish(x[i]);
        }
    }

    @Override
    public void hardsigmoid(int from, int to, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            y[i] = UnaryKernels.hardsigmoid(x[i]);
        }
    }

    @Override
    public void sigmoidBackward(int from, int to, float[] y, float[] dy, float[] dx) {
        for (int i = from; i < to; i++) {
            float v = y[i];
            dx[i] = dy[i] * v * (1f - v);
        }
    }

    @Override
    public void tanh(int from, int to, float[] x, float[] y) {
        for (int i = from; i < to; i++) {
            y[i] = DetMath.tanh(x[i]);
        }
    }

    @Override
    public void tanhBackward(int from, int to, float[] y, float[] dy, float[] dx) {
        for (int i = from; i < to; i++) {
            float v = y[i];
            dx[i] = dy[i] * (1f - v * v);
        }
    }

    @Override
    public void add(int from, int to, float[] a, float[] b, float[] out) {
        for (int i = from; i < to; i++) {
            out[i] = a[i] + b[i];
        }
    }

    @Override
    public void multiply(int from, int to, float[] a, float[] b, float[] out) {
        for (int i = from; i < to; i++) {
            out[i] = a[i] * b[i];
        }
    }

    @Override
    public void scale(int len, float s, float[] x, int xOff, float[] y, int yOff) {
        for (int t = 0; t < len; t++) {
            y[yOff + t] = x[xOff + t] * s;
        }
    }

    @Override
    public void addInto(int len, float[] x, int xOff, float[] y, int yOff) {
        for (int t = 0; t < len; t++) {
            y[yOff + t] += x[xOff + t];
        }
    }

    @Override
    public void divideInto(int len, float[] x, int xOff, float[] y, int yOff) {
        for (int t = 0; t < len; t++) {
            y[yOff + t] /= x[xOff + t];
        }
    }

    @Override
    public void maxInto(int len, float[] x, int xOff, float[] y, int yOff) {
        for (int t = 0; t < len; t++) {
            y[yOff + t] = Math.max(y[yOff + t], x[xOff + t]);
        }
    }

    @Override
    public double sumDouble(int len, float[] x, int xOff) {
        double t0 = 0;
        double t1 = 0;
        double t2 = 0;
        double t3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            t0 += x[xOff + i];
            t1 += x[xOff + i + 1];
            t2 += x[xOff + i + 2];
            t3 += x[xOff + i + 3];
        }
        for (; i < len; i++) {
            t0 += x[xOff + i];
        }
        return (t0 + t1) + (t2 + t3);
    }

    @Override
    public float max(int len, float[] x, int xOff) {
        float m = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < len; t++) {
            m = Math.max(m, x[xOff + t]);
        }
        return m;
    }

    @Override
    public float sumSquaredDeviation(int len, float[] x, int xOff, float center) {
        float s0 = 0f;
        float s1 = 0f;
        int t = 0;
        for (; t + 2 <= len; t += 2) {
            float d0 = x[xOff + t] - center;
            float d1 = x[xOff + t + 1] - center;
            s0 += d0 * d0;
            s1 += d1 * d1;
        }
        for (; t < len; t++) {
            float d = x[xOff + t] - center;
            s0 += d * d;
        }
        return s0 + s1;
    }

    @Override
    public float dotCentered(int len, float[] a, int aOff, float[] b, int bOff, float center) {
        float s0 = 0f;
        float s1 = 0f;
        int t = 0;
        for (; t + 2 <= len; t += 2) {
            s0 += a[aOff + t] * (b[bOff + t] - center);
            s1 += a[aOff + t + 1] * (b[bOff + t + 1] - center);
        }
        for (; t < len; t++) {
            s0 += a[aOff + t] * (b[bOff + t] - center);
        }
        return s0 + s1;
    }

    @Override
    public void affine(int len, float[] x, int xOff, float center, float scale, float shift, float[] y, int yOff) {
        for (int t = 0; t < len; t++) {
            y[yOff + t] = (x[xOff + t] - center) * scale + shift;
        }
    }

    @Override
    public void combine(int len, float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float center,
                        float gamma, float[] out, int outOff) {
        for (int t = 0; t < len; t++) {
            out[outOff + t] = alpha * a[aOff + t] + beta * (b[bOff + t] - center) + gamma;
        }
    }

    @Override
    public float expShift(int len, float[] x, int xOff, float shift, float[] y, int yOff) {
        float s = 0f;
        for (int t = 0; t < len; t++) {
            float e = DetMath.exp(x[xOff + t] - shift);
            y[yOff + t] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void productCentered(int len, float[] a, int aOff, float[] b, int bOff, float center, float[] out, int outOff) {
        for (int t = 0; t < len; t++) {
            out[outOff + t] = a[aOff + t] * (b[bOff + t] - center);
        }
    }

    @Override
    public void logSoftmaxGrad(int len, float[] y, int yOff, float[] dy, int dyOff, float s, float[] dx, int dxOff) {
        for (int t = 0; t < len; t++) {
            dx[dxOff + t] = Math.fma(DetMath.exp(y[yOff + t]), -s, dy[dyOff + t]);
        }
    }
}
