package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.MemoryStats;
import org.layers4j.spi.Tensors;

/**
 * A convolution's weights prepared once ({@link CpuConvolutionOps#prepareWeights}): the weight tensor's own values
 * (a handle on it keeps them alive; not a copy, so a compiled model holds its weights once, and they are counted
 * once in the backend's {@link MemoryStats}), which nobody may write any more, whether they are all finite (so
 * {@link NonFiniteRepair} need not scan them per call), and their micro-kernel A panels, packed on first use per
 * layout (row-major depth, or tap-major for {@link Im2colConvolution}'s position classes) and kept. At batch 1 the
 * per-call packing was 15 % of a ResNet-18 forward at 224 x 224 (JFR samples, AVX-512, 2 threads). The packed panels
 * count in the backend's {@link MemoryStats} until the tensor is released.
 *
 * <p>Once packed, the values themselves are let go when nothing else needs them: no path has read them plainly
 * ({@link #data}: direct and matrix-vector kernels, a download) and this holds the only handle on the weight tensor
 * (a compiled model's own weight, not one shared with the model it was compiled from). A convolution that only runs
 * on panels then holds its weights once, packed. Should a plain read come later, the values are unpacked from the
 * panels ({@link IndirectConvolution#unpackWeights}, the same values) and kept from then on.
 */
final class PreparedWeights extends CpuStorage {
    /** Panels of one layout: kpad rows per group, depth kd, as {@link IndirectConvolution#packWeights} writes them. */
    private record Panels(ConvGeometry g, RowBlocks blocks, boolean tapOrder, float[] a) {
        boolean fits(ConvGeometry geo, RowBlocks b, int kd) {
            return g.groups() == geo.groups() && blocks.kpad() == b.kpad() && g.cPerGroup() * g.kh() * g.kw() == kd;
        }
    }

    private final MemoryStats memory;
    private final boolean finite;
    /** The kernel's geometry on a plane of its own size: what packing reads of a geometry (groups, k, c, kh, kw). */
    private final ConvGeometry kernel;
    private final int size;
    /** The handle on the weight tensor, null once let go (or released). */
    private Tensor weights;
    /** The plain values: the weight tensor's array, or unpacked ones ({@link #unpackedOwn}); null while let go. */
    private volatile float[] raw;
    /** Whether {@link #raw} was unpacked here (then counted in the memory by this storage). */
    private boolean unpackedOwn;
    /** Whether a path read the plain values: they are kept from then on. */
    private volatile boolean rawWanted;
    private volatile Panels rowMajor;
    private volatile Panels tapMajor;

    /**
     * Prepares {@code weights} [k, c / groups, kh, kw], a handle on the weight tensor that this takes over: its array
     * is not copied.
     */
    PreparedWeights(Tensor weights, int groups, boolean finite, MemoryStats memory) {
        super(memory);
        org.layers4j.Shape s = weights.shape();
        this.kernel = new ConvGeometry(1, s.dim(1) * groups, s.dim(2), s.dim(3), s.dim(0), s.dim(2), s.dim(3), 1, 1, 0,
                0, 1, 1, groups);
        this.weights = weights;
        this.raw = CpuStorage.of(weights);
        this.size = raw.length;
        this.memory = memory;
        this.finite = finite;
    }

    /** The geometry of the kernel alone (a 1-image input of the kernel's size, unit stride, no padding). */
    ConvGeometry kernelGeometry() {
        return kernel;
    }

    /** Whether a value may be NaN or infinite (decided once, when prepared). */
    boolean mayHoldNonFinite() {
        return !finite;
    }

    /** The plain values, unpacked from the panels if they were let go; kept from now on. */
    @Override
    float[] data() {
        float[] r = raw;
        if (r != null && rawWanted) {
            return r; // a direct-path layer's every call: no lock once the values are kept
        }
        synchronized (this) {
            rawWanted = true;
            r = raw;
            return r != null ? r : unpacked();
        }
    }

    @Override
    float[] dataForOverwrite() {
        throw new UnsupportedOperationException("prepared convolution weights are read-only");
    }

    /** The A panels of {@code g} with {@code blocks}, packed now if this layout was not packed before. */
    float[] panels(IndirectConvolution packer, ConvGeometry g, RowBlocks blocks, boolean tapOrder) {
        int kd = g.cPerGroup() * g.kh() * g.kw();
        Panels p = tapOrder ? tapMajor : rowMajor;
        if (p != null && p.fits(g, blocks, kd)) {
            return p.a;
        }
        synchronized (this) {
            p = tapOrder ? tapMajor : rowMajor;
            if (p == null || !p.fits(g, blocks, kd)) {
                float[] values = raw != null ? raw : unpacked();
                float[] a = new float[g.groups() * blocks.kpad() * kd];
                packer.packWeights(g, values, blocks, tapOrder, a);
                if (p != null) {
                    memory.released((long) p.a.length * Float.BYTES);
                }
                memory.allocated((long) a.length * Float.BYTES);
                p = new Panels(g, blocks, tapOrder, a);
                if (tapOrder) {
                    tapMajor = p;
                } else {
                    rowMajor = p;
                }
                letGoUnlessWanted();
            }
            return p.a;
        }
    }

    /** The values unpacked from a layout's panels, kept and counted (caller holds the lock). */
    private float[] unpacked() {
        Panels p = rowMajor != null ? rowMajor : tapMajor;
        if (p == null) {
            throw new IllegalStateException("CPU tensor storage has been released");
        }
        float[] w = new float[size];
        IndirectConvolution.unpackWeights(p.g, p.a, p.blocks, p.tapOrder, w);
        memory.allocated((long) size * Float.BYTES);
        unpackedOwn = true;
        raw = w;
        return w;
    }

    /** Drops the plain values once packed, when no path read them and no other handle holds them (caller locks). */
    private void letGoUnlessWanted() {
        if (rawWanted) {
            return;
        }
        if (unpackedOwn) {
            memory.released((long) size * Float.BYTES);
            unpackedOwn = false;
            raw = null;
            return;
        }
        Tensor w = weights;
        if (w != null && Tensors.handles(w) == 1) {
            weights = null;
            raw = null;
            w.close();
        }
    }

    @Override
    public synchronized void release() {
        super.release();
        for (Panels p : new Panels[] {rowMajor, tapMajor}) {
            if (p != null) {
                memory.released((long) p.a.length * Float.BYTES);
            }
        }
        rowMajor = null;
        tapMajor = null;
        if (unpackedOwn) {
            memory.released((long) size * Float.BYTES);
            unpackedOwn = false;
        }
        raw = null;
        Tensor w = weights;
        weights = null;
        if (w != null) {
            w.close();
        }
    }
}
