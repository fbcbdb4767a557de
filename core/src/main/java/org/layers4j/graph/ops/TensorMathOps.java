package org.layers4j.graph.ops;

import org.layers4j.Tensor;
import org.layers4j.nn.Functional;

/**
 * Arithmetic: {@code add}, {@code sub}, {@code mul}, {@code div}, {@code neg} on tensors (broadcasting)
 * and on Python numbers (as Python computes them: int op int stays int, {@code /} gives a float), and the
 * reductions {@code mean} / {@code sum}.
 */
final class TensorMathOps {
    private TensorMathOps() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("add", Signature.of("input", "other", "alpha=1"), (a, c) -> {
            if (!(a.get("input") instanceof Tensor) && !(a.get("other") instanceof Tensor)) {
                return numbers("add", a.get("input"), a.get("other"));
            }
            Tensor x = a.tensor("input");
            Tensor y = a.tensor("other");
            return Functional.add(x, y);
        }));
        r.register(FunctionalOp.of("mul", Signature.of("input", "other"), (a, c) -> {
            if (!(a.get("input") instanceof Tensor) && !(a.get("other") instanceof Tensor)) {
                return numbers("mul", a.get("input"), a.get("other"));
            }
            throw new IllegalArgumentException("mul(): tensors are not supported yet");
        }));
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
        double a = ((Number) x).doubleValue();
        double b = ((Number) y).doubleValue();
        return switch (op) {
            case "add" -> a + b;
            case "sub" -> a - b;
            case "mul" -> a * b;
            case "div" -> {
                if (b == 0) {
                    throw new IllegalArgumentException("div(): division by zero");
                }
                yield a / b;
            }
            default -> throw new IllegalStateException(op);
        };
    }
}
