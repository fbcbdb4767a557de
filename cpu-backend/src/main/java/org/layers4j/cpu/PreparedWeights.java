package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.MemoryStats;

/**
 * A convolution's weights prepared once ({@link CpuConvolutionOps#prepareWeights}): the weight tensor's own values
 * (a handle on it keeps them alive; not a copy, so a compiled model holds its weights once, and they are counted
 * once in the backend's {@link MemoryStats}), which nobody may write any more, whether they are all finite (so {@link NonFiniteRepair} need not scan them per call), and
 * their micro-kernel A panels, packed on first use per layout (row-major depth, or tap-major for
 * {@link Im2colConvolution}'s position classes) and kept. At batch 1 the per-call packing was 15 % of a
 * ResNet-18 forward at 224 x 224 (JFR samples, AVX-512, 2 threads). The packed panels count in the
 * backend's {@link MemoryStats} until the tensor is released.
 */
final class PreparedWeights extends CpuStorage {
    /** Panels of one layout: kpad rows per group, depth kd, as {@link IndirectConvolution#packWeights} writes them. */
    private record Panels(int groups, int kpad, int kd, float[] a) {
    }

    private final MemoryStats memory;
    private final boolean finite;
    private volatile Tensor weights;
    private volatile Panels rowMajor;
    private volatile Panels tapMajor;

    /** Prepares {@code weights}, a handle on the weight tensor that this takes over: its array is not copied. */
    PreparedWeights(Tensor weights, boolean finite, MemoryStats memory) {
        super(CpuStorage.of(weights), memory);
        this.weights = weights;
        this.memory = memory;
        this.finite = finite;
    }

    /** Whether a value may be NaN or infinite (decided once, when prepared). */
    boolean mayHoldNonFinite() {
        return !finite;
    }

    /** The A panels of {@code g} with {@code blocks}, packed now if this layout was not packed before. */
    float[] panels(IndirectConvolution packer, ConvGeometry g, RowBlocks blocks, boolean tapOrder) {
        int kd = g.cPerGroup() * g.kh() * g.kw();
        Panels p = tapOrder ? tapMajor : rowMajor;
        if (p != null && p.groups == g.groups() && p.kpad == blocks.kpad() && p.kd == kd) {
            return p.a;
        }
        synchronized (this) {
            p = tapOrder ? tapMajor : rowMajor;
            if (p == null || p.groups != g.groups() || p.kpad != blocks.kpad() || p.kd != kd) {
                float[] a = new float[g.groups() * blocks.kpad() * kd];
                packer.packWeights(g, data(), blocks, tapOrder, a);
                if (p != null) {
                    memory.released((long) p.a.length * Float.BYTES);
                }
                memory.allocated((long) a.length * Float.BYTES);
                p = new Panels(g.groups(), blocks.kpad(), kd, a);
                if (tapOrder) {
                    tapMajor = p;
                } else {
                    rowMajor = p;
                }
            }
            return p.a;
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
        Tensor w = weights;
        weights = null;
        if (w != null) {
            w.close();
        }
    }
}
