package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.PaddingPlan;

/**
 * Core's {@link PaddingPlan#steps strided-copy plan} turned into the exact list of cuDNN operations
 * the backend runs: zero fills ({@code cudnnSetTensor}), strided copies ({@code cudnnTransformTensor})
 * and strided accumulations ({@code cudnnTransformTensor} with beta = 1), each on a view (element offset + layout) of one
 * of three buffers. Padding this way needs no custom CUDA kernel, hence no PTX tied to a driver.
 * The program is plain data so tests can interpret it in Java and compare with the CPU padding.
 *
 * <p>Forward reads {@link Buffer#INPUT} (x) and writes {@link Buffer#OUTPUT} (the padded tensor).
 * Backward reads INPUT (the padded gradient, left untouched), folds it in {@link Buffer#SCRATCH} (a
 * copy of it) by running the steps in reverse as accumulations, and writes OUTPUT (the input gradient).
 */
public record PadProgram(List<Op> ops, boolean needsScratch) {

    /** Which tensor an operation addresses. */
    public enum Buffer { INPUT, OUTPUT, SCRATCH }

    /** ZERO: dst = 0; COPY: dst = src; ACCUMULATE: dst += src. */
    public enum Kind { ZERO, COPY, ACCUMULATE }

    /** A strided view: an element offset into a buffer and the layout from there. */
    public record View(Buffer buffer, long offset, TensorLayout layout) {
    }

    /** One operation; {@code src} is null for ZERO. */
    public record Op(Kind kind, View src, View dst) {
    }

    public PadProgram {
        ops = List.copyOf(ops);
    }

    /** The operations that pad an [n, c, h, w] input into the plan's padded shape. */
    public static PadProgram forward(PaddingPlan plan, int n, int c, int h, int w) {
        List<Op> ops = new ArrayList<>();
        int hp = h + plan.top() + plan.bottom();
        int wp = w + plan.left() + plan.right();
        if (plan.mode() == PaddingMode.ZEROS) {
            // only the interior is copied; the border must hold zeros
            ops.add(new Op(Kind.ZERO, null, new View(Buffer.OUTPUT, 0, TensorLayout.contiguous(n, c, hp, wp))));
        }
        for (PaddingPlan.Step s : plan.steps(n, c, h, w)) {
            View src = view(s.fromInput() ? Buffer.INPUT : Buffer.OUTPUT, s.from());
            ops.add(new Op(Kind.COPY, src, view(Buffer.OUTPUT, s.to())));
        }
        return new PadProgram(ops, false);
    }

    /**
     * The operations that fold a padded gradient back onto the [n, c, h, w] input gradient: every
     * padded element is added to the input element it was copied from.
     */
    public static PadProgram backward(PaddingPlan plan, int n, int c, int h, int w) {
        List<PaddingPlan.Step> steps = plan.steps(n, c, h, w);
        PaddingPlan.Step interior = steps.get(0);
        if (!interior.fromInput()) {
            throw new IllegalStateException("core's padding plan must start with the interior copy, got " + interior);
        }
        List<Op> ops = new ArrayList<>();
        if (steps.size() == 1) {
            // nothing but the interior came from the input: the border's gradient is simply dropped
            ops.add(new Op(Kind.COPY, view(Buffer.INPUT, interior.to()), view(Buffer.OUTPUT, interior.from())));
            return new PadProgram(ops, false);
        }
        int hp = h + plan.top() + plan.bottom();
        int wp = w + plan.left() + plan.right();
        TensorLayout whole = TensorLayout.contiguous(n, c, hp, wp);
        ops.add(new Op(Kind.COPY, new View(Buffer.INPUT, 0, whole), new View(Buffer.SCRATCH, 0, whole)));
        for (int i = steps.size() - 1; i >= 1; i--) {
            PaddingPlan.Step s = steps.get(i);
            // forward copied from -> to, so the gradient at 'to' belongs to 'from' as well
            ops.add(new Op(Kind.ACCUMULATE, view(Buffer.SCRATCH, s.to()), view(Buffer.SCRATCH, s.from())));
        }
        ops.add(new Op(Kind.COPY, view(Buffer.SCRATCH, interior.to()), view(Buffer.OUTPUT, interior.from())));
        return new PadProgram(ops, true);
    }

    private static View view(Buffer buffer, PaddingPlan.View v) {
        return new View(buffer, v.offset(), TensorLayout.of(v));
    }
}
