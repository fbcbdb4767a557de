package org.layers4j.cpu;

import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.ConvolutionOps;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.Tensors;

/**
 * Convolutions ({@link ConvEngine}) with their bias and {@link ConvEpilogue} applied as outputs are stored, weights
 * prepared once ({@link PreparedWeights}), and the bias over dimension 1 ({@link Elementwise}).
 */
final class CpuConvolutionOps implements ConvolutionOps {
    private final ConvEngine conv;
    private final Elementwise elementwise;
    private final Kernels kernels;
    private final MemoryStats memory;

    CpuConvolutionOps(ConvEngine conv, Elementwise elementwise, Kernels kernels, MemoryStats memory) {
        this.conv = conv;
        this.elementwise = elementwise;
        this.kernels = kernels;
        this.memory = memory;
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        conv.forward(g, CpuStorage.of(x), ConvWeights.of(w), Epilogue.NONE, CpuStorage.overwrite(y));
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        if (bias == null) {
            forward(g, x, w, y);
            return;
        }
        ConvolutionOps.requireBias(bias, g.k());
        conv.forward(g, CpuStorage.of(x), ConvWeights.of(w), Epilogue.bias(kernels, CpuStorage.of(bias)),
                CpuStorage.overwrite(y));
    }

    /** The epilogue runs where each path stores its outputs (see {@link Epilogue}). */
    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, ConvEpilogue epilogue, Tensor y) {
        if (epilogue == null || epilogue.isNone()) {
            forward(g, x, w, bias, y);
            return;
        }
        conv.forward(g, CpuStorage.of(x), ConvWeights.of(w), epilogue(g, bias, epilogue, y), CpuStorage.overwrite(y));
    }

    /** The kernels' epilogue of a convolution's bias (null: none) and {@link ConvEpilogue}, checked against y. */
    private Epilogue epilogue(ConvGeometry g, Tensor bias, ConvEpilogue epilogue, Tensor y) {
        if (bias != null) {
            ConvolutionOps.requireBias(bias, g.k());
        }
        epilogue.check(y.shape());
        float[] residual = epilogue.residual() == null ? null : CpuStorage.of(epilogue.residual());
        return Epilogue.of(kernels, bias == null ? null : CpuStorage.of(bias), residual, epilogue.relu(),
                epilogue.unary());
    }

    /** The 1 x 1 convolutions at stride 1 without padding read a scaled input ({@link ConvEngine#forwardScaled}). */
    @Override
    public boolean scalesInput(ConvGeometry g) {
        return IndirectConvolution.isPointwise(g);
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor scale, Tensor w, Tensor bias, ConvEpilogue epilogue,
                        Tensor y) {
        if (!scalesInput(g)) {
            throw new UnsupportedOperationException("the cpu backend scales the input of 1 x 1 convolutions at stride 1"
                    + " without padding only, not of " + g);
        }
        if (scale.shape().size() != (long) g.n() * g.c()) {
            throw new IllegalArgumentException("a convolution's input scale must hold one value per image and input"
                    + " channel (" + g.n() + " x " + g.c() + "), but got shape " + scale.shape().dimsString());
        }
        Epilogue ep = epilogue(g, bias, epilogue == null ? ConvEpilogue.NONE : epilogue, y);
        conv.forwardScaled(g, CpuStorage.of(x), CpuStorage.of(scale), ConvWeights.of(w), ep, CpuStorage.overwrite(y));
    }

    /**
     * w's values (shared, not copied: the caller must not write w any more) in a {@link PreparedWeights}: its panels
     * are packed once, its finiteness is decided now.
     */
    @Override
    public Tensor prepareWeights(Tensor w, int groups) {
        float[] values = CpuStorage.of(w);
        boolean finite = !NonFiniteRepair.mayHoldNonFinite(kernels, values, values.length);
        Tensor handle = w.share();
        try {
            return Tensors.wrap(w.backend(), w.shape(), new PreparedWeights(handle, groups, finite, memory));
        } catch (RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    /** Packs a GEMM convolution's row-major panels now, letting the plain values go (see {@link PreparedWeights}). */
    @Override
    public void compactPrepared(Tensor prepared) {
        if (Tensors.storage(prepared) instanceof PreparedWeights p) {
            conv.packNow(p);
        }
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
