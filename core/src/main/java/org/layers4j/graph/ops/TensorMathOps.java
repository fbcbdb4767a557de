package org.layers4j.graph.ops;

import org.layers4j.Tensor;
import org.layers4j.nn.functional.Arithmetic;

/**
 * Arithmetic: {@code add}, {@code sub}, {@code mul}, {@code div}, {@code neg} on tensors (broadcasting),
 * tensors and Python numbers, or two numbers (as Python computes them: int op int stays an int, {@code /}
 * gives a float: the shape arithmetic of a traced graph); the reductions {@code mean} / {@code sum}.
 */
final class TensorMathOps {
    private TensorMathOps() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("add", Signature.of("input", "other", "alpha=1"), (a, c) -> addOrSub(a, false)));
        r.register(FunctionalOp.of("sub", Signature.of("input", "other", "alpha=1"), (a, c) -> addOrSub(a, true)));
        r.register(FunctionalOp.of("mul", Signature.of("input", "other"), (a, c) -> {
            Object x = a.get("input");
            Object y = a.get("other");
            if (x instanceof Tensor t && y instanceof Tensor u) {
                return Arithmetic.mul(t, u);
            }
            if (x instanceof Tensor t) {
                return Arithmetic.mul(t, a.number("other"));
            }
            if (y instanceof Tensor u) {
                return Arithmetic.mul(u, a.number("input"));
            }
            return numbers("mul", x, y);
        }));
        r.register(FunctionalOp.of("div", Signature.of("input", "other", "rounding_mode=None"), (a, c) -> {
            Object x = a.get("input");
            Object y = a.get("other");
            if (!a.isNull("rounding_mode")) {
                throw new IllegalArgumentException("div(): rounding_mode='" + a.string("rounding_mode") + "' is not"
                        + " supported (only true division)");
            }
            if (x instanceof Tensor t && y instanceof Tensor u) {
                return Arithmetic.div(t, u);
            }
            if (x instanceof Tensor t) {
                return Arithmetic.div(t, a.number("other"));
            }
            if (y instanceof Tensor u) {
                return Arithmetic.rdiv(a.number("input"), u);
            }
            return numbers("div", x, y);
        }));
        r.register(FunctionalOp.of("neg", Signature.of("input"), (a, c) -> {
            Object x = a.get("input");
            if (x instanceof Tensor t) {
                return Arithmetic.neg(t);
            }
            return numbers("mul", x, -1L);
        }));
        r.register(FunctionalOp.of("mean", Signature.of("input", "dim=None", "keepdim=False", "dtype=None"),
                (a, c) -> Arithmetic.mean(a.tensor("input"), dims(a), a.bool("keepdim"))));
        r.register(FunctionalOp.of("sum", Signature.of("input", "dim=None", "keepdim=False", "dtype=None"),
                (a, c) -> Arithmetic.sum(a.tensor("input"), dims(a), a.bool("keepdim"))));
    }

    private static int[] dims(Args a) {
        if (!a.isNull("dtype")) {
            throw new IllegalArgumentException(a.op() + "(): dtype= is not supported (tensors are float32)");
        }
        return a.optionalInts("dim");
    }

    private static Object addOrSub(Args a, boolean sub) {
        Object x = a.get("input");
        Object y = a.get("other");
        double alpha = a.number("alpha");
        if (x instanceof Tensor t && y instanceof Tensor u) {
            return sub ? Arithmetic.sub(t, u, alpha) : Arithmetic.add(t, u, alpha);
        }
        if (x instanceof Tensor t) {
            double s = a.number("other") * alpha;
            return sub ? Arithmetic.sub(t, s) : Arithmetic.add(t, s);
        }
        if (y instanceof Tensor u) {
            double s = a.number("input");
            if (alpha == 1) {
                return sub ? Arithmetic.rsub(s, u) : Arithmetic.add(u, s);
            }
            try (Tensor scaled = Arithmetic.mul(u, alpha)) {
                return sub ? Arithmetic.rsub(s, scaled) : Arithmetic.add(scaled, s);
            }
        }
        Object other = a.get("alpha") instanceof Long l && l == 1 ? y : numbers("mul", y, a.get("alpha"));
        return numbers(sub ? "sub" : "add", x, other);
    }

    /** Python arithmetic on two numbers. */
    static Object numbers(String op, Object x, Object y) {
        if (!(x instanceof Long || x instanceof Double) || !(y instanceof Long || y instanceof Double)) {
            throw new IllegalArgumentException(op + "(): unsupported operand types " + Values.describe(x) + " and "
                    + Values.describe(y));
        }
        if (x instanceof Long l && y instanceof Long m && !op.equals("div")) {
            return switch (op) {
                case "add" -> Math.addExact(l, m);
                case "sub" -> Math.subtractExact(l, m);
                case "mul" -> Math.multiplyExact(l, m);
                default -> throw new IllegalStateException(op);
            };
        }
        double p = ((Number) x).doubleValue();
        double q = ((Number) y).doubleValue();
        return switch (op) {
            case "add" -> p + q;
            case "sub" -> p - q;
            case "mul" -> p * q;
            case "div" -> {
                if (q == 0) {
                    throw new IllegalArgumentException("div(): division by zero");
                }
                yield p / q;
            }
            default -> throw new IllegalStateException(op);
        };
    }
}
