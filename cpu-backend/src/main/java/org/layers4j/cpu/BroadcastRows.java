package org.layers4j.cpu;

import org.layers4j.spi.BinaryOp;

/**
 * The row loops of broadcasting arithmetic: {@code len} outputs from operands that each either step
 * through a row (stride 1) or repeat one value (stride 0). Plain loops over one index, which the JIT
 * vectorizes; the scalar operand is read once per row.
 */
final class BroadcastRows {
    private BroadcastRows() {
    }

    /** o[oi + k] = a[ai + k * as] op b[bi + k * bs] for k in [0, len), as and bs each 0 or 1. */
    static void row(BinaryOp op, float alpha, int len, float[] a, int ai, int as, float[] b, int bi, int bs,
                    float[] o, int oi) {
        if (as == 1 && bs == 1) {
            both(op, alpha, len, a, ai, b, bi, o, oi);
        } else if (as == 1) {
            rowScalarB(op, alpha, len, a, ai, b[bi], o, oi);
        } else if (bs == 1) {
            scalarRowB(op, alpha, len, a[ai], b, bi, o, oi);
        } else {
            java.util.Arrays.fill(o, oi, oi + len, apply(op, alpha, a[ai], b[bi]));
        }
    }

    /** One element: a op b. */
    static float apply(BinaryOp op, float alpha, float a, float b) {
        return switch (op) {
            case ADD -> a + alpha * b;
            case SUB -> a - alpha * b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    private static void both(BinaryOp op, float alpha, int len, float[] a, int ai, float[] b, int bi, float[] o, int oi) {
        switch (op) {
            case ADD -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] + alpha * b[bi + k];
                }
            }
            case SUB -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] - alpha * b[bi + k];
                }
            }
            case MUL -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] * b[bi + k];
                }
            }
            case DIV -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] / b[bi + k];
                }
            }
            default -> throw new IllegalArgumentException(op.toString());
        }
    }

    private static void rowScalarB(BinaryOp op, float alpha, int len, float[] a, int ai, float bv, float[] o, int oi) {
        switch (op) {
            case ADD, SUB -> {
                float s = op == BinaryOp.ADD ? alpha * bv : -(alpha * bv);
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] + s;
                }
            }
            case MUL -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] * bv;
                }
            }
            case DIV -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = a[ai + k] / bv;
                }
            }
            default -> throw new IllegalArgumentException(op.toString());
        }
    }

    private static void scalarRowB(BinaryOp op, float alpha, int len, float av, float[] b, int bi, float[] o, int oi) {
        switch (op) {
            case ADD -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = av + alpha * b[bi + k];
                }
            }
            case SUB -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = av - alpha * b[bi + k];
                }
            }
            case MUL -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = av * b[bi + k];
                }
            }
            case DIV -> {
                for (int k = 0; k < len; k++) {
                    o[oi + k] = av / b[bi + k];
                }
            }
            default -> throw new IllegalArgumentException(op.toString());
        }
    }
}
