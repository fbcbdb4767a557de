package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.Tensors;

/**
 * The weights a forward convolution runs with: their values, and for {@link PreparedWeights} the panels and the
 * finiteness decided once; other weights are packed per call into the calling thread's workspace.
 */
final class ConvWeights {
    private final float[] values;
    private final PreparedWeights prepared;

    private ConvWeights(float[] values, PreparedWeights prepared) {
        this.values = values;
        this.prepared = prepared;
    }

    /** The weights of a tensor, prepared or not. */
    static ConvWeights of(Tensor w) {
        if (Tensors.storage(w) instanceof PreparedWeights p) {
            return new ConvWeights(null, p);
        }
        return new ConvWeights(CpuStorage.of(w), null);
    }

    /** Weights computed for this call (flipped for backward data, the warm-up's). */
    static ConvWeights of(float[] values) {
        return new ConvWeights(values, null);
    }

    /**
     * The plain values [k][c / groups][kh][kw], for the paths that read them as they are (prepared weights keep
     * them from then on; a path on panels only never asks).
     */
    float[] values() {
        return prepared != null ? prepared.data() : values;
    }

    /** The micro-kernel A panels of the weights for {@code g} ({@link IndirectConvolution#packWeights}). */
    float[] panels(IndirectConvolution packer, ConvGeometry g, RowBlocks blocks, boolean tapOrder) {
        return prepared != null ? prepared.panels(packer, g, blocks, tapOrder)
                : packer.packWeights(g, values, blocks, tapOrder);
    }

    /** Whether a weight may be NaN or infinite ({@link NonFiniteRepair#mayHoldNonFinite} unless prepared). */
    boolean mayHoldNonFinite(Kernels kn, int count) {
        return prepared != null ? prepared.mayHoldNonFinite() : NonFiniteRepair.mayHoldNonFinite(kn, values, count);
    }
}
