package org.layers4j.graph.ops;

import org.layers4j.nn.functional.Padding;
import org.layers4j.nn.functional.Resampling;

/** {@code F.interpolate} (nearest, nearest-exact, linear, bilinear) and {@code F.pad}. */
final class ResampleFunctions {
    private ResampleFunctions() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("interpolate", Signature.of("input", "size=None", "scale_factor=None", "mode='nearest'",
                "align_corners=None", "recompute_scale_factor=None", "antialias=False"), (a, c) -> {
                    if (a.bool("antialias")) {
                        throw new IllegalArgumentException("interpolate(): antialias=True is not supported");
                    }
                    return Resampling.interpolate(a.tensor("input"), a.optionalInts("size"),
                            a.isNull("scale_factor") ? null : a.numbers("scale_factor"), a.string("mode"),
                            a.isNull("align_corners") ? null : a.bool("align_corners"),
                            a.isNull("recompute_scale_factor") ? null : a.bool("recompute_scale_factor"));
                }));
        r.register(FunctionalOp.of("pad", Signature.of("input", "pad", "mode='constant'", "value=None"),
                (a, c) -> Padding.pad(a.tensor("input"), a.ints("pad"), a.string("mode"),
                        a.isNull("value") ? 0 : a.number("value"))));
    }
}
