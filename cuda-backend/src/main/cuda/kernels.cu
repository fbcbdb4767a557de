// layers4j-cuda's own kernels: the ops whose PyTorch contract cuDNN cannot express exactly
// (max-pooling tie / NaN rules and their backward, PyTorch's average-pooling divisor in every
// configuration, adaptive pooling, leaky ReLU, Embedding's gather and deterministic scatter-add).
// Compiled to PTX by build-ptx.sh (nvcc, committed as src/main/resources/org/layers4j/cuda/kernels.ptx),
// loaded with cuModuleLoadData by Kernels.java. Every kernel is a grid-stride loop over its outputs;
// all index arithmetic is 64-bit. No atomics: every output element is written by one thread, summing
// its contributions in the same (row-major) order as a sequential CPU loop, so results are deterministic.
#include <math.h>

#define LOOP(t, total) \
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < (total); \
         t += (long long) gridDim.x * blockDim.x)

// ---- fixed-window pooling: input [nc, h, w], output [nc, oh, ow] ----

// PyTorch's max_pool2d (CPU): the first valid cell starts as the index with value -inf; a cell wins
// when it is greater, or NaN (so the last NaN of a window wins and the output is NaN); padded cells
// never take part. Writes y (nullable) and the winning input offset within the plane (nullable).
extern "C" __global__ void max_pool_fwd(const float* x, float* y, int* arg, long long nc, int h, int w,
                                        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                        int oh, int ow) {
    long long total = nc * oh * ow;
    LOOP(t, total) {
        int o_w = (int) (t % ow);
        int o_h = (int) ((t / ow) % oh);
        long long p = t / ((long long) ow * oh);
        int h0 = o_h * sh - ph;
        int w0 = o_w * sw - pw;
        int hs = h0, ws = w0;
        while (hs < 0) hs += dh;
        while (ws < 0) ws += dw;
        int h1 = min(h0 + (kh - 1) * dh + 1, h);
        int w1 = min(w0 + (kw - 1) * dw + 1, w);
        const float* xp = x + p * h * w;
        int best = -1;  // PyTorch starts at the first valid cell; -1 only for a window with none
        float m = -INFINITY;
        for (int r = hs; r < h1; r += dh) {
            for (int c = ws; c < w1; c += dw) {
                float v = xp[r * w + c];
                if (best < 0 || v > m || isnan(v)) {
                    m = v;
                    best = r * w + c;
                }
            }
        }
        if (y) y[t] = m;
        if (arg) arg[t] = best;
    }
}

// dx of max pooling from the winners arg (max_pool_fwd's): each input cell sums dy over the windows
// that contain it and chose it, in row-major output order.
extern "C" __global__ void max_pool_bwd(const int* arg, const float* dy, float* dx, long long nc, int h, int w,
                                        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                                        int oh, int ow) {
    long long total = nc * h * w;
    LOOP(t, total) {
        int c = (int) (t % w);
        int r = (int) ((t / w) % h);
        long long p = t / ((long long) w * h);
        int self = r * w + c;
        // windows (a, b) with a*sh - ph <= r <= a*sh - ph + (kh-1)*dh
        int a0 = r + ph - (kh - 1) * dh;
        a0 = a0 <= 0 ? 0 : (a0 + sh - 1) / sh;
        int a1 = min((r + ph) / sh, oh - 1);
        int b0 = c + pw - (kw - 1) * dw;
        b0 = b0 <= 0 ? 0 : (b0 + sw - 1) / sw;
        int b1 = min((c + pw) / sw, ow - 1);
        float s = 0.f;
        const int* ap = arg + p * oh * ow;
        const float* dyp = dy + p * oh * ow;
        for (int a = a0; a <= a1; a++) {
            if ((r + ph - a * sh) % dh != 0) continue;
            for (int b = b0; b <= b1; b++) {
                if ((c + pw - b * sw) % dw != 0) continue;
                int o = a * ow + b;
                if (ap[o] == self) s += dyp[o];
            }
        }
        dx[t] = s;
    }
}

// PyTorch's average-pooling divisor (PoolGeometry.divisor): override, else the window clipped to the
// padded input (count_include_pad), else clipped to the input.
__device__ int avg_divisor(int h0, int w0, int h, int w, int kh, int kw, int ph, int pw, int include_pad,
                           int override_div) {
    if (override_div > 0) return override_div;
    int h1 = min(h0 + kh, h + ph);
    int w1 = min(w0 + kw, w + pw);
    if (include_pad) return (h1 - h0) * (w1 - w0);
    return (min(h1, h) - max(h0, 0)) * (min(w1, w) - max(w0, 0));
}

extern "C" __global__ void avg_pool_fwd(const float* x, float* y, long long nc, int h, int w, int kh, int kw,
                                        int sh, int sw, int ph, int pw, int oh, int ow, int include_pad,
                                        int override_div) {
    long long total = nc * oh * ow;
    LOOP(t, total) {
        int o_w = (int) (t % ow);
        int o_h = (int) ((t / ow) % oh);
        long long p = t / ((long long) ow * oh);
        int h0 = o_h * sh - ph;
        int w0 = o_w * sw - pw;
        int div = avg_divisor(h0, w0, h, w, kh, kw, ph, pw, include_pad, override_div);
        int hs = max(h0, 0), ws = max(w0, 0);
        int he = min(h0 + kh, h), we = min(w0 + kw, w);
        const float* xp = x + p * h * w;
        float s = 0.f;
        for (int r = hs; r < he; r++)
            for (int c = ws; c < we; c++) s += xp[r * w + c];
        y[t] = s / (float) div;
    }
}

extern "C" __global__ void avg_pool_bwd(const float* dy, float* dx, long long nc, int h, int w, int kh, int kw,
                                        int sh, int sw, int ph, int pw, int oh, int ow, int include_pad,
                                        int override_div) {
    long long total = nc * h * w;
    LOOP(t, total) {
        int c = (int) (t % w);
        int r = (int) ((t / w) % h);
        long long p = t / ((long long) w * h);
        int a0 = r + ph - kh + 1;
        a0 = a0 <= 0 ? 0 : (a0 + sh - 1) / sh;
        int a1 = min((r + ph) / sh, oh - 1);
        int b0 = c + pw - kw + 1;
        b0 = b0 <= 0 ? 0 : (b0 + sw - 1) / sw;
        int b1 = min((c + pw) / sw, ow - 1);
        const float* dyp = dy + p * oh * ow;
        float s = 0.f;
        for (int a = a0; a <= a1; a++)
            for (int b = b0; b <= b1; b++) {
                int div = avg_divisor(a * sh - ph, b * sw - pw, h, w, kh, kw, ph, pw, include_pad, override_div);
                s += dyp[a * ow + b] / (float) div;
            }
        dx[t] = s;
    }
}

// ---- adaptive pooling: output cell i of in -> out covers [floor(i*in/out), ceil((i+1)*in/out)) ----

__device__ int ad_start(int i, int in, int out) { return (int) (((long long) i * in) / out); }
__device__ int ad_end(int i, int in, int out) { return (int) (((long long) (i + 1) * in + out - 1) / out); }

extern "C" __global__ void adaptive_max_fwd(const float* x, float* y, int* arg, long long nc, int h, int w,
                                            int oh, int ow) {
    long long total = nc * oh * ow;
    LOOP(t, total) {
        int o_w = (int) (t % ow);
        int o_h = (int) ((t / ow) % oh);
        long long p = t / ((long long) ow * oh);
        int hs = ad_start(o_h, h, oh), he = ad_end(o_h, h, oh);
        int ws = ad_start(o_w, w, ow), we = ad_end(o_w, w, ow);
        const float* xp = x + p * h * w;
        int best = -1;
        float m = -INFINITY;
        for (int r = hs; r < he; r++)
            for (int c = ws; c < we; c++) {
                float v = xp[r * w + c];
                if (best < 0 || v > m || isnan(v)) {
                    m = v;
                    best = r * w + c;
                }
            }
        if (y) y[t] = m;
        if (arg) arg[t] = best;
    }
}

extern "C" __global__ void adaptive_max_bwd(const int* arg, const float* dy, float* dx, long long nc, int h, int w,
                                            int oh, int ow) {
    long long total = nc * h * w;
    LOOP(t, total) {
        int c = (int) (t % w);
        int r = (int) ((t / w) % h);
        long long p = t / ((long long) w * h);
        int self = r * w + c;
        const int* ap = arg + p * oh * ow;
        const float* dyp = dy + p * oh * ow;
        float s = 0.f;
        for (int a = (int) (((long long) r * oh) / h); a < oh && ad_start(a, h, oh) <= r; a++) {
            if (ad_end(a, h, oh) <= r) continue;
            for (int b = (int) (((long long) c * ow) / w); b < ow && ad_start(b, w, ow) <= c; b++) {
                if (ad_end(b, w, ow) <= c) continue;
                int o = a * ow + b;
                if (ap[o] == self) s += dyp[o];
            }
        }
        dx[t] = s;
    }
}

extern "C" __global__ void adaptive_avg_fwd(const float* x, float* y, long long nc, int h, int w, int oh, int ow) {
    long long total = nc * oh * ow;
    LOOP(t, total) {
        int o_w = (int) (t % ow);
        int o_h = (int) ((t / ow) % oh);
        long long p = t / ((long long) ow * oh);
        int hs = ad_start(o_h, h, oh), he = ad_end(o_h, h, oh);
        int ws = ad_start(o_w, w, ow), we = ad_end(o_w, w, ow);
        const float* xp = x + p * h * w;
        float s = 0.f;
        for (int r = hs; r < he; r++)
            for (int c = ws; c < we; c++) s += xp[r * w + c];
        y[t] = s / (float) ((he - hs) * (we - ws));
    }
}

extern "C" __global__ void adaptive_avg_bwd(const float* dy, float* dx, long long nc, int h, int w, int oh, int ow) {
    long long total = nc * h * w;
    LOOP(t, total) {
        int c = (int) (t % w);
        int r = (int) ((t / w) % h);
        long long p = t / ((long long) w * h);
        const float* dyp = dy + p * oh * ow;
        float s = 0.f;
        for (int a = (int) (((long long) r * oh) / h); a < oh && ad_start(a, h, oh) <= r; a++) {
            int hs = ad_start(a, h, oh), he = ad_end(a, h, oh);
            if (he <= r) continue;
            for (int b = (int) (((long long) c * ow) / w); b < ow && ad_start(b, w, ow) <= c; b++) {
                int ws = ad_start(b, w, ow), we = ad_end(b, w, ow);
                if (we <= c) continue;
                s += dyp[a * ow + b] / (float) ((he - hs) * (we - ws));
            }
        }
        dx[t] = s;
    }
}

// ---- element-wise ----

extern "C" __global__ void leaky_relu_fwd(const float* x, float* y, long long n, float slope) {
    LOOP(t, n) {
        float v = x[t];
        y[t] = v > 0.f ? v : v * slope;
    }
}

extern "C" __global__ void leaky_relu_bwd(const float* x, const float* dy, float* dx, long long n, float slope) {
    LOOP(t, n) {
        dx[t] = x[t] > 0.f ? dy[t] : dy[t] * slope;
    }
}

// ---- Embedding ----

// out[i, j] = table[idx[i], j]
extern "C" __global__ void gather_rows(const long long* idx, const float* table, float* out, long long m, int e) {
    LOOP(t, m * e) {
        long long i = t / e;
        int j = (int) (t % e);
        out[t] = table[idx[i] * e + j];
    }
}

// dTable[rows[u], j] = sum over k in [start[u], start[u+1]) of dOut[pos[k], j], for the u-th distinct
// row (grouped on the host, positions in increasing order): deterministic, the CPU's summation order.
// Rows not listed must have been zeroed before.
extern "C" __global__ void scatter_add_rows(const int* rows, const int* start, const int* pos, const float* dout,
                                            float* dtable, int u_count, int e) {
    LOOP(t, (long long) u_count * e) {
        int u = (int) (t / e);
        int j = (int) (t % e);
        float s = 0.f;
        for (int k = start[u]; k < start[u + 1]; k++) s += dout[(long long) pos[k] * e + j];
        dtable[(long long) rows[u] * e + j] = s;
    }
}

// ---- torch.optim updates (OptimizerOps): one thread per element, double-precision arithmetic ----

// SGD, PyTorch 1.13's _single_tensor_sgd; buf is NULL without momentum; first: buf := d.
extern "C" __global__ void sgd_step(float* p, const float* g, float* buf, long long n, int first, double lr,
                                    double momentum, double dampening, double weight_decay, int nesterov,
                                    int maximize) {
    LOOP(t, n) {
        double d = maximize ? -(double) g[t] : (double) g[t];
        if (weight_decay != 0) d += weight_decay * p[t];
        if (buf) {
            double b = first ? d : momentum * buf[t] + (1 - dampening) * d;
            buf[t] = (float) b;
            d = nesterov ? d + momentum * b : b;
        }
        p[t] = (float) (p[t] - lr * d);
    }
}

// Adam / AdamW, PyTorch 1.13's _single_tensor_adam(w); vmax is NULL without amsgrad. step_size =
// lr / (1 - beta1^step), bias2_sqrt = sqrt(1 - beta2^step) come from the host.
extern "C" __global__ void adam_step(float* p, const float* g, float* m, float* v, float* vmax, long long n,
                                     double lr, double beta1, double beta2, double eps, double weight_decay,
                                     int decoupled, int maximize, double step_size, double bias2_sqrt) {
    LOOP(t, n) {
        double pi = p[t];
        if (decoupled && weight_decay != 0) pi *= 1 - lr * weight_decay;
        double gi = maximize ? -(double) g[t] : (double) g[t];
        if (!decoupled && weight_decay != 0) gi += weight_decay * pi;
        double mi = m[t] * beta1 + (1 - beta1) * gi;
        double vi = v[t] * beta2 + (1 - beta2) * gi * gi;
        m[t] = (float) mi;
        v[t] = (float) vi;
        double vv = vi;
        if (vmax) {
            double old = vmax[t];
            vv = (old != old || vi != vi) ? old + vi : (old > vi ? old : vi);  // NaN propagates, as torch.maximum
            vmax[t] = (float) vv;
        }
        p[t] = (float) (pi - step_size * mi / (sqrt(vv) / bias2_sqrt + eps));
    }
}
