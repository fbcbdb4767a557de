package org.layers4j.graph.ops;

import org.layers4j.nn.pool.AdaptiveAvgPool2d;
import org.layers4j.nn.pool.AdaptiveMaxPool2d;
import org.layers4j.nn.pool.AvgPool2d;
import org.layers4j.nn.pool.MaxPool2d;
import org.layers4j.nn.pool.PoolOptions;

/** Pooling as functions: {@code F.adaptive_avg_pool2d}, {@code F.max_pool2d}, {@code F.avg_pool2d}, ... */
final class PoolingFunctions {
    private PoolingFunctions() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("adaptive_avg_pool2d", Signature.of("input", "output_size"),
                (a, c) -> ActivationFunctions.run(new AdaptiveAvgPool2d(c.backend(), outputSize(a)), a.tensor("input"))));
        r.register(FunctionalOp.of("adaptive_max_pool2d", Signature.of("input", "output_size", "return_indices=False"),
                (a, c) -> {
                    if (a.bool("return_indices")) {
                        throw new IllegalArgumentException("adaptive_max_pool2d(): return_indices=True is not supported");
                    }
                    return ActivationFunctions.run(new AdaptiveMaxPool2d(c.backend(), outputSize(a)), a.tensor("input"));
                }));
        r.register(FunctionalOp.of("max_pool2d", Signature.of("input", "kernel_size", "stride=None", "padding=0",
                "dilation=1", "ceil_mode=False", "return_indices=False"), (a, c) -> {
                    if (a.bool("return_indices")) {
                        throw new IllegalArgumentException("max_pool2d(): return_indices=True is not supported");
                    }
                    PoolOptions o = options(a, c).dilation(a.ints("dilation"));
                    return ActivationFunctions.run(new MaxPool2d(o), a.tensor("input"));
                }));
        r.register(FunctionalOp.of("avg_pool2d", Signature.of("input", "kernel_size", "stride=None", "padding=0",
                "ceil_mode=False", "count_include_pad=True", "divisor_override=None"), (a, c) -> {
                    PoolOptions o = options(a, c).countIncludePad(a.bool("count_include_pad"))
                            .divisorOverride(a.optionalInteger("divisor_override"));
                    return ActivationFunctions.run(new AvgPool2d(o), a.tensor("input"));
                }));
    }

    private static PoolOptions options(Args a, OpContext c) {
        PoolOptions o = PoolOptions.of(a.ints("kernel_size")).backend(c.backend()).padding(a.ints("padding"))
                .ceilMode(a.bool("ceil_mode"));
        // stride=None or an empty list: the kernel size, as PyTorch
        int[] stride = a.optionalInts("stride");
        if (stride != null && stride.length > 0) {
            o.stride(stride);
        }
        return o;
    }

    private static Integer[] outputSize(Args a) {
        Object v = a.get("output_size");
        if (v instanceof java.util.List<?> l) {
            Integer[] out = new Integer[l.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = l.get(i) == null ? null : (int) (long) (Long) l.get(i);
            }
            return out;
        }
        return new Integer[] {a.integer("output_size")};
    }
}
