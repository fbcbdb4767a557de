package org.layers4j.cpu;

import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.ConvolutionOps;

/** Convolutions ({@link ConvEngine}) and the bias over dimension 1 ({@link Elementwise}). */
final class CpuConvolutionOps implements ConvolutionOps {
    private final ConvEngine conv;
    private final Elementwise elementwise;

    CpuConvolutionOps(ConvEngine conv, Elementwise elementwise) {
        this.conv = conv;
        this.elementwise = elementwise;
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        conv.forward(g, CpuStorage.of(x), CpuStorage.of(w), null, CpuStorage.overwrite(y));
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        if (bias == null) {
            forward(g, x, w, y);
            return;
        }
        ConvolutionOps.requireBias(bias, g.k());
        conv.forward(g, CpuStorage.of(x), CpuStorage.of(w), CpuStorage.of(bias), CpuStorage.overwrite(y));
    }

    @Override
    public void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        conv.backwardData(g, CpuStorage.of(dy), CpuStorage.of(w), CpuStorage.overwrite(dx));
    }

    @Override
    public void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        conv.backwardFilter(g, CpuStorage.of(x), CpuStorage.of(dy), CpuStorage.overwrite(dw));
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        Shape s = y.shape();
        elementwise.biasAdd(CpuStorage.of(y), CpuStorage.of(bias), s.dim(0), s.dim(1), spatial(s));
    }

    @Override
    public void biasGradient(Tensor dy, Tensor db) {
        Shape s = dy.shape();
        elementwise.biasGradient(CpuStorage.of(dy), CpuStorage.overwrite(db), s.dim(0), s.dim(1), spatial(s));
    }

    /** Product of the dimensions after [n, k]: the spatial size of a plane (1 for a rank-2 tensor). */
    static int spatial(Shape s) {
        int p = 1;
        for (int i = 2; i < s.rank(); i++) {
            p *= s.dim(i);
        }
        return p;
    }
}
