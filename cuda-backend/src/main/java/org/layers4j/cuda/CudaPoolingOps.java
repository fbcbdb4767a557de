package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnPoolingDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.layers4j.Tensor;
import org.layers4j.spi.PoolGeometry;
import org.layers4j.spi.PoolingOps;

/**
 * Pooling. cuDNN's pooling descriptor has symmetric padding, no dilation, no divisor override and
 * floor-mode output sizes, and documents no tie rule for max-pooling's backward; so:
 * <ul>
 * <li>max forward: {@code cudnnPoolingForward} (MAX, NaN propagated) when {@link #cudnnCanPool} — the
 *     maximum itself has no tie question — else the {@code max_pool_fwd} kernel (dilation, ceil-mode
 *     windows beyond cuDNN's);</li>
 * <li>max backward: always the kernels: {@code max_pool_fwd} finds each window's winner by PyTorch's
 *     rule (first maximum in row-major order, a NaN wins, padding never), then {@code max_pool_bwd} gives
 *     each input cell the sum of dy over the windows it won, in output order (deterministic);</li>
 * <li>average forward / backward: {@code cudnnPoolingForward/Backward} (COUNT_INCLUDE_PADDING or
 *     COUNT_EXCLUDE_PADDING) when {@link #cudnnCanPool} and no divisor override — then cuDNN's divisor is
 *     PyTorch's — else the {@code avg_pool_fwd/bwd} kernels with PoolGeometry's divisor rule;</li>
 * <li>adaptive average / max: the {@code adaptive_*} kernels (windows of uneven size).</li>
 * </ul>
 */
final class CudaPoolingOps implements PoolingOps {
    private final CudnnBackend b;

    CudaPoolingOps(CudnnBackend backend) {
        this.b = backend;
    }

    /** cuDNN's pooling output size (no dilation, floor mode): 1 + (in + 2 * pad - window) / stride. */
    static int cudnnOutSize(int in, int window, int pad, int stride) {
        int span = in + 2 * pad - window;
        return span < 0 ? 0 : 1 + span / stride;
    }

    /**
     * Whether cuDNN's pooling computes exactly this geometry's windows: no dilation, padding smaller than
     * the window (cuDNN's requirement), and the same output size as core's (so ceil mode added no window).
     */
    static boolean cudnnCanPool(PoolGeometry g) {
        return g.dilationH() == 1 && g.dilationW() == 1 && g.padH() < g.kh() && g.padW() < g.kw()
                && cudnnOutSize(g.h(), g.kh(), g.padH(), g.strideH()) == g.outH()
                && cudnnOutSize(g.w(), g.kw(), g.padW(), g.strideW()) == g.outW();
    }

    /** The cuDNN pooling window of a geometry for a mode. */
    static Descriptors.Pool pool(PoolGeometry g, int mode) {
        return new Descriptors.Pool(mode, g.kh(), g.kw(), g.padH(), g.padW(), g.strideH(), g.strideW());
    }

    static int avgMode(PoolGeometry g) {
        return g.countIncludePad() ? Descriptors.POOL_AVG_INCLUDE_PAD : Descriptors.POOL_AVG_EXCLUDE_PAD;
    }

    static TensorLayout inputLayout(PoolGeometry g) {
        return TensorLayout.contiguous(g.n(), g.c(), g.h(), g.w());
    }

    static TensorLayout outputLayout(PoolGeometry g) {
        return TensorLayout.contiguous(g.n(), g.c(), g.outH(), g.outW());
    }

    private static long planes(PoolGeometry g) {
        return (long) g.n() * g.c();
    }

    @Override
    public void maxForward(PoolGeometry g, Tensor x, Tensor y) {
        if (g.n() == 0) {
            return;
        }
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        if (cudnnCanPool(g)) {
            cudnnForward(pool(g, Descriptors.POOL_MAX_DETERMINISTIC), g, px, py, "max");
            return;
        }
        long nc = planes(g);
        b.exec(ctx -> b.kernels().launch(ctx, "max_pool_fwd", nc * g.outH() * g.outW(), px, py, null, nc, g.h(), g.w(),
                g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilationH(), g.dilationW(), g.outH(),
                g.outW()));
    }

    @Override
    public void maxBackward(PoolGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        if (g.n() == 0) {
            return;
        }
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        long nc = planes(g);
        long outs = nc * g.outH() * g.outW();
        b.exec(ctx -> {
            Pointer arg = ctx.scratch(outs * Sizeof.INT).pointer;
            Object[] geometry = {nc, g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(),
                    g.dilationH(), g.dilationW(), g.outH(), g.outW()};
            b.kernels().launch(ctx, "max_pool_fwd", outs, concat(new Object[] {px, null, arg}, geometry));
            b.kernels().launch(ctx, "max_pool_bwd", nc * g.h() * g.w(), concat(new Object[] {arg, pdy, pdx}, geometry));
        });
    }

    @Override
    public void avgForward(PoolGeometry g, Tensor x, Tensor y) {
        if (g.n() == 0) {
            return;
        }
        requireNoDilation(g);
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        if (cudnnCanPool(g) && g.divisorOverride() == 0) {
            cudnnForward(pool(g, avgMode(g)), g, px, py, "average");
            return;
        }
        long nc = planes(g);
        b.exec(ctx -> b.kernels().launch(ctx, "avg_pool_fwd", nc * g.outH() * g.outW(), px, py, nc, g.h(), g.w(), g.kh(),
                g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.outH(), g.outW(), g.countIncludePad() ? 1 : 0,
                g.divisorOverride()));
    }

    @Override
    public void avgBackward(PoolGeometry g, Tensor dy, Tensor dx) {
        if (g.n() == 0) {
            return;
        }
        requireNoDilation(g);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        if (cudnnCanPool(g) && g.divisorOverride() == 0) {
            cudnnTensorDescriptor xd = b.descriptors().tensor(inputLayout(g));
            cudnnTensorDescriptor yd = b.descriptors().tensor(outputLayout(g));
            cudnnPoolingDescriptor pd = b.descriptors().pooling(pool(g, avgMode(g)));
            // average pooling's gradient does not read x or y (it is linear in dy); cuDNN still takes
            // operands of their shapes, so dy stands in for y and dx for x
            b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnPoolingBackward(ctx.handle, pd, ONE, yd, pdy, yd, pdy, xd, pdx,
                    ZERO, xd, pdx), "cudnnPoolingBackward (average)"));
            return;
        }
        long nc = planes(g);
        b.exec(ctx -> b.kernels().launch(ctx, "avg_pool_bwd", nc * g.h() * g.w(), pdy, pdx, nc, g.h(), g.w(), g.kh(),
                g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.outH(), g.outW(), g.countIncludePad() ? 1 : 0,
                g.divisorOverride()));
    }

    private static void requireNoDilation(PoolGeometry g) {
        if (g.dilationH() != 1 || g.dilationW() != 1) {
            throw new UnsupportedOperationException("average pooling with dilation (" + g.dilationH() + ", "
                    + g.dilationW() + "): PyTorch's avg_pool has no dilation and PoolGeometry's divisor rule assumes none");
        }
    }

    private void cudnnForward(Descriptors.Pool p, PoolGeometry g, Pointer px, Pointer py, String what) {
        cudnnTensorDescriptor xd = b.descriptors().tensor(inputLayout(g));
        cudnnTensorDescriptor yd = b.descriptors().tensor(outputLayout(g));
        cudnnPoolingDescriptor pd = b.descriptors().pooling(p);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnPoolingForward(ctx.handle, pd, ONE, xd, px, ZERO, yd, py),
                "cudnnPoolingForward (" + what + ")"));
    }

    @Override
    public void adaptiveAvgForward(Tensor x, Tensor y) {
        adaptive("adaptive_avg_fwd", x, y, false);
    }

    @Override
    public void adaptiveAvgBackward(Tensor dy, Tensor dx) {
        int[] o = nchw(dy);
        int[] i = nchw(dx);
        long nc = (long) i[0] * i[1];
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        b.exec(ctx -> b.kernels().launch(ctx, "adaptive_avg_bwd", nc * i[2] * i[3], pdy, pdx, nc, i[2], i[3], o[2], o[3]));
    }

    @Override
    public void adaptiveMaxForward(Tensor x, Tensor y) {
        adaptive("adaptive_max_fwd", x, y, true);
    }

    private void adaptive(String kernel, Tensor x, Tensor y, boolean max) {
        int[] i = nchw(x);
        int[] o = nchw(y);
        long nc = (long) i[0] * i[1];
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        b.exec(ctx -> {
            if (max) {
                b.kernels().launch(ctx, kernel, nc * o[2] * o[3], px, py, null, nc, i[2], i[3], o[2], o[3]);
            } else {
                b.kernels().launch(ctx, kernel, nc * o[2] * o[3], px, py, nc, i[2], i[3], o[2], o[3]);
            }
        });
    }

    @Override
    public void adaptiveMaxBackward(Tensor x, Tensor y, Tensor dy, Tensor dx) {
        int[] i = nchw(x);
        int[] o = nchw(y);
        long nc = (long) i[0] * i[1];
        long outs = nc * o[2] * o[3];
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        b.exec(ctx -> {
            Pointer arg = ctx.scratch(Math.max(1, outs) * Sizeof.INT).pointer;
            b.kernels().launch(ctx, "adaptive_max_fwd", outs, px, null, arg, nc, i[2], i[3], o[2], o[3]);
            b.kernels().launch(ctx, "adaptive_max_bwd", nc * i[2] * i[3], arg, pdy, pdx, nc, i[2], i[3], o[2], o[3]);
        });
    }

    /** [n, c, h, w] of a 4-D tensor, or of a 3-D [n, c, l] one as height 1. */
    private static int[] nchw(Tensor t) {
        int[] d = t.shape().dims();
        return d.length == 3 ? new int[] {d[0], d[1], 1, d[2]} : d;
    }

    private static Object[] concat(Object[] a, Object[] rest) {
        Object[] out = new Object[a.length + rest.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(rest, 0, out, a.length, rest.length);
        return out;
    }
}
