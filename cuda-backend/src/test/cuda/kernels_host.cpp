// Runs kernels.cu's kernels on the host, one "thread", for KernelsOnHostTest: no GPU needed to check
// their arithmetic against the PyTorch references of fixtures/layers. Usage:
//   kernels_host OP ARGS... < inputs > outputs        (raw little-endian arrays, see each case)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>
using std::max;
using std::min;
struct HostDim { long long x; };
static HostDim blockIdx{0}, threadIdx{0}, blockDim{1}, gridDim{1};
#define __global__
#define __device__
#include "../../main/cuda/kernels.cu"

template <typename T> static std::vector<T> in(long long n) {
    std::vector<T> v(n);
    if (n && fread(v.data(), sizeof(T), n, stdin) != (size_t) n) { fprintf(stderr, "short input\n"); exit(2); }
    return v;
}
template <typename T> static void out(const std::vector<T>& v) { fwrite(v.data(), sizeof(T), v.size(), stdout); }

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* op = argv[1];
    std::vector<long long> a;
    for (int i = 2; i < argc; i++) a.push_back(atoll(argv[i]));
    if (!strcmp(op, "max_pool") || !strcmp(op, "avg_pool")) {
        // nc h w kh kw sh sw ph pw dh dw oh ow include override ; stdin x, dy ; stdout y, dx
        long long nc = a[0]; int h = a[1], w = a[2], kh = a[3], kw = a[4], sh = a[5], sw = a[6], ph = a[7], pw = a[8],
            dh = a[9], dw = a[10], oh = a[11], ow = a[12], inc = a[13], ov = a[14];
        auto x = in<float>(nc * h * w);
        auto dy = in<float>(nc * oh * ow);
        std::vector<float> y(nc * oh * ow), dx(nc * h * w);
        if (op[0] == 'm') {
            std::vector<int> arg(nc * oh * ow);
            max_pool_fwd(x.data(), y.data(), nullptr, nc, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
            max_pool_fwd(x.data(), nullptr, arg.data(), nc, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
            max_pool_bwd(arg.data(), dy.data(), dx.data(), nc, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
        } else {
            avg_pool_fwd(x.data(), y.data(), nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, inc, ov);
            avg_pool_bwd(dy.data(), dx.data(), nc, h, w, kh, kw, sh, sw, ph, pw, oh, ow, inc, ov);
        }
        out(y);
        out(dx);
    } else if (!strcmp(op, "adaptive_max") || !strcmp(op, "adaptive_avg")) {
        // nc h w oh ow ; stdin x, dy ; stdout y, dx
        long long nc = a[0]; int h = a[1], w = a[2], oh = a[3], ow = a[4];
        auto x = in<float>(nc * h * w);
        auto dy = in<float>(nc * oh * ow);
        std::vector<float> y(nc * oh * ow), dx(nc * h * w);
        if (op[9] == 'm') {
            std::vector<int> arg(nc * oh * ow);
            adaptive_max_fwd(x.data(), y.data(), nullptr, nc, h, w, oh, ow);
            adaptive_max_fwd(x.data(), nullptr, arg.data(), nc, h, w, oh, ow);
            adaptive_max_bwd(arg.data(), dy.data(), dx.data(), nc, h, w, oh, ow);
        } else {
            adaptive_avg_fwd(x.data(), y.data(), nc, h, w, oh, ow);
            adaptive_avg_bwd(dy.data(), dx.data(), nc, h, w, oh, ow);
        }
        out(y);
        out(dx);
    } else if (!strcmp(op, "leaky_relu")) {
        // n slope*1e6 ; stdin x, dy ; stdout y, dx
        long long n = a[0]; float slope = a[1] / 1e6f;
        auto x = in<float>(n);
        auto dy = in<float>(n);
        std::vector<float> y(n), dx(n);
        leaky_relu_fwd(x.data(), y.data(), n, slope);
        leaky_relu_bwd(x.data(), dy.data(), dx.data(), n, slope);
        out(y);
        out(dx);
    } else if (!strcmp(op, "embedding")) {
        // m e v skip ; stdin idx (int64), table, dout ; stdout out, dtable (rows grouped as CudaLayoutOps does)
        long long m = a[0]; int e = a[1]; long long v = a[2], skip = a[3];
        auto idx = in<long long>(m);
        auto table = in<float>(v * e);
        auto dout = in<float>(m * e);
        std::vector<float> o(m * e), dt(v * e, 0.f);
        gather_rows(idx.data(), table.data(), o.data(), m, e);
        std::vector<int> rows, start, pos;
        std::map<long long, int> seen;
        std::vector<std::vector<int>> groups;
        for (long long i = 0; i < m; i++) {
            if (idx[i] == skip) continue;
            auto it = seen.find(idx[i]);
            if (it == seen.end()) { seen[idx[i]] = groups.size(); rows.push_back(idx[i]); groups.push_back({}); }
            groups[seen[idx[i]]].push_back(i);
        }
        for (auto& g : groups) { start.push_back(pos.size()); pos.insert(pos.end(), g.begin(), g.end()); }
        start.push_back(pos.size());
        scatter_add_rows(rows.data(), start.data(), pos.data(), dout.data(), dt.data(), rows.size(), e);
        out(o);
        out(dt);
    } else if (!strcmp(op, "sgd")) {
        // n first lr momentum dampening weight_decay nesterov maximize ; stdin p, g, buf ; stdout p, buf
        long long n = a[0];
        int first = a[1];
        double lr = atof(argv[4]), mom = atof(argv[5]), damp = atof(argv[6]), wd = atof(argv[7]);
        int nesterov = atoi(argv[8]), maximize = atoi(argv[9]);
        auto p = in<float>(n);
        auto g = in<float>(n);
        auto buf = in<float>(n);
        sgd_step(p.data(), g.data(), mom != 0 ? buf.data() : nullptr, n, first, lr, mom, damp, wd, nesterov, maximize);
        out(p);
        out(buf);
    } else if (!strcmp(op, "adam")) {
        // n step lr beta1 beta2 eps weight_decay decoupled amsgrad maximize ; stdin p, g, m, v, vmax ;
        // stdout p, m, v, vmax
        long long n = a[0];
        long long step = a[1];
        double lr = atof(argv[4]), b1 = atof(argv[5]), b2 = atof(argv[6]), eps = atof(argv[7]), wd = atof(argv[8]);
        int decoupled = atoi(argv[9]), amsgrad = atoi(argv[10]), maximize = atoi(argv[11]);
        auto p = in<float>(n);
        auto g = in<float>(n);
        auto m = in<float>(n);
        auto v = in<float>(n);
        auto vmax = in<float>(n);
        double step_size = lr / (1 - pow(b1, (double) step));
        double bias2_sqrt = sqrt(1 - pow(b2, (double) step));
        adam_step(p.data(), g.data(), m.data(), v.data(), amsgrad ? vmax.data() : nullptr, n, lr, b1, b2, eps, wd,
                  decoupled, maximize, step_size, bias2_sqrt);
        out(p);
        out(m);
        out(v);
        out(vmax);
    } else {
        return 2;
    }
    return 0;
}
