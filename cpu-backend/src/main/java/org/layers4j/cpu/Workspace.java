package org.layers4j.cpu;

/**
 * Per-thread scratch arrays (packed panels, padded planes, column tiles), grown on demand and kept for
 * the life of the thread so that steady-state calls allocate nothing large. Contents are not cleared
 * between uses: every user writes what it reads. A slot is owned by one level of the call tree, so a
 * caller thread that also executes tasks never hands a task a buffer it is still using itself.
 */
final class Workspace {
    /** The buffers; call-level slots are used only outside tasks, task-level slots only inside them. */
    enum Slot {
        /** Task: packed A panels. */
        PACK_A,
        /** Task: packed B panels. */
        PACK_B,
        /** Task: an edge micro-tile. */
        EDGE,
        /** Task: a column tile of the backward-data GEMM before col2im, or a forward task's {@link FlatBand}. */
        COLUMNS,
        /** Task: a plane of outputs or gradients in padded-row layout (direct kernels). */
        PLANE2,
        /** Task: a row of partial results (pooling, softmax). */
        ROW,
        /** Task: a second row of partial results. */
        ROW2,
        /** Task: a pointwise chunk's input times its channels' scales (a squeeze-excitation read with the input). */
        SCALED_INPUT,
        /** Task: one block of depthwise weights with channels interleaved ({@link BlockedDepthwise}). */
        BLOCKED_WEIGHTS,
        /** Call: the average-pooling divisor of every output cell of a plane. */
        DIVISORS,
        /** Call: transformed weights (backward data as a forward convolution). */
        WEIGHTS,
        /** Call: weights packed into micro-kernel A panels. */
        PACKED_WEIGHTS,
        /** Call: the input of a strided 1x1 convolution at its output positions only. */
        SUBSAMPLED,
        /** Call: a pointwise convolution's input times its squeeze-excitation scales, read by every task of the call. */
        SCALED_CALL,
        /** Call: the input with its zero borders (the batch im2col's packing source). */
        PADDED_INPUT,
        /** Call: the batch im2col's packed input panels, shared by the tasks of a call. */
        PACKED_INPUT
    }

    private static final ThreadLocal<Workspace> LOCAL = ThreadLocal.withInitial(Workspace::new);

    private final float[][] buffers = new float[Slot.values().length][];
    private float[] padded;
    private int paddedH = -1;
    private int paddedW;
    private int paddedPh;
    private int paddedPw;

    private Workspace() {
    }

    static Workspace get() {
        return LOCAL.get();
    }

    /**
     * Drops every buffer of this thread. Only the JIT warm-up uses it: it makes the allocation branches
     * part of the profile C2 compiles from, so that the first real call with larger shapes does not hit
     * an uncommon trap and throw the compiled convolution loops away.
     */
    void discardAll() {
        java.util.Arrays.fill(buffers, null);
        padded = null;
        paddedH = -1;
        band = null;
        bandKey = null;
    }

    /** A float array of at least {@code size} elements, contents undefined. */
    float[] floats(Slot slot, int size) {
        float[] b = buffers[slot.ordinal()];
        if (b == null || b.length < size) {
            // grow geometrically so that slowly growing shapes do not reallocate every call
            b = new float[Math.max(size, b == null ? 0 : (int) Math.min(Integer.MAX_VALUE - 8, b.length * 3L / 2))];
            buffers[slot.ordinal()] = b;
        }
        return b;
    }

    /**
     * A zero-bordered plane of (h + 2ph) x (w + 2pw) floats for the direct kernels, whose users only ever
     * write its interior: the border is zeroed when the geometry changes and otherwise reused as it is,
     * which saves two tiny fills per row of every plane.
     */
    /** Floats after a padded plane: one 512-bit vector of reads past its end. */
    static final int PLANE_SLACK = 16;

    float[] paddedPlane(int h, int w, int ph, int pw) {
        if (h != paddedH || w != paddedW || ph != paddedPh || pw != paddedPw) {
            int size = (h + 2 * ph) * (w + 2 * pw);
            if (padded == null || padded.length < size + PLANE_SLACK) {
                // the slack: whole-vector reads of the last outputs' taps (Kernels#tapsToScratch) stay inside
                padded = new float[size + PLANE_SLACK];
            } else {
                java.util.Arrays.fill(padded, 0f);
            }
            paddedH = h;
            paddedW = w;
            paddedPh = ph;
            paddedPw = pw;
        }
        return padded;
    }

    private float[] band;
    private long[] bandKey;

    /**
     * The band buffer of {@link IndirectConvolution}, at least {@code size} floats, and whether its zero
     * positions (padding rows and columns) are still those of {@code key}: bands of the same geometry
     * and row range have them in the same places, so the filler then copies the interior only.
     */
    float[] band(int size, long[] key, boolean[] bordersValid) {
        boolean same = band != null && band.length >= size && java.util.Arrays.equals(key, bandKey);
        if (!same) {
            if (band == null || band.length < size) {
                band = new float[size];
            }
            bandKey = key.clone();
        }
        bordersValid[0] = same;
        return band;
    }

    private Object blockedWeightsCall;
    private int blockedWeightsBlock;

    /**
     * The {@link Slot#BLOCKED_WEIGHTS} buffer, at least {@code size} floats, and whether it already holds block
     * {@code block} of the call identified by {@code call} (an object of that call alone: weights may change between
     * calls in place). A task that finds it not held fills it; the next tasks of the same block on this thread reuse it.
     */
    float[] blockedWeights(int size, Object call, int block, boolean[] held) {
        float[] b = floats(Slot.BLOCKED_WEIGHTS, size);
        held[0] = blockedWeightsCall == call && blockedWeightsBlock == block;
        blockedWeightsCall = call;
        blockedWeightsBlock = block;
        return b;
    }
}
