package org.layers4j.cpu;

import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.spi.ElementwiseOps;

/** Element-wise arithmetic: vector kernels over chunks split across the threads. */
final class CpuElementwiseOps implements ElementwiseOps {
    private final PointwiseKernels pk;
    private final Elementwise split;

    CpuElementwiseOps(PointwiseKernels pk, Elementwise split) {
        this.pk = pk;
        this.split = split;
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        float[] av = CpuStorage.of(a);
        float[] bv = CpuStorage.of(b);
        float[] o = CpuStorage.overwrite(out);
        split.runChunks(o.length, (from, to) -> pk.add(from, to, av, bv, o));
    }

    @Override
    public void accumulate(Tensor acc, Tensor x) {
        float[] xv = CpuStorage.of(x);
        float[] a = CpuStorage.of(acc);
        split.runChunks(a.length, (from, to) -> pk.add(from, to, a, xv, a));
    }

    @Override
    public void multiply(Tensor a, Tensor b, Tensor out) {
        float[] av = CpuStorage.of(a);
        float[] bv = CpuStorage.of(b);
        float[] o = CpuStorage.overwrite(out);
        split.runChunks(o.length, (from, to) -> pk.multiply(from, to, av, bv, o));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (src.dtype() == DType.INT64) {
            long[] s = CpuLongStorage.of(src);
            long[] d = CpuLongStorage.of(dst);
            System.arraycopy(s, 0, d, 0, s.length);
            return;
        }
        float[] s = CpuStorage.of(src);
        float[] d = CpuStorage.overwrite(dst);
        if (s == d) {
            return;
        }
        split.runChunks(s.length, (from, to) -> System.arraycopy(s, from, d, from, to - from));
    }
}
