package org.layers4j.onnx;

import java.util.Arrays;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.nn.functional.Resampling;

/**
 * Resize (and Upsample) as F.interpolate: mode nearest with the coordinate transformation
 * {@code asymmetric} and nearest_mode {@code floor} (PyTorch's {@code nearest}, what its exporter writes) or
 * {@code half_pixel} / {@code tf_half_pixel_for_nn} with {@code round_prefer_ceil} ({@code nearest-exact});
 * mode linear with {@code half_pixel} / {@code pytorch_half_pixel} ({@code align_corners=False}) or
 * {@code align_corners}. Other combinations are refused at load ({@link #check}).
 */
final class ResizeKernel {
    private ResizeKernel() {
    }

    /** The F.interpolate mode family for the node's attributes, or an OnnxUnsupportedException naming them. */
    static String check(String opType, Map<String, Object> attrs) {
        String mode = attrs.get("mode") instanceof String s ? s : "nearest";
        String ctm = attrs.get("coordinate_transformation_mode") instanceof String s ? s
                : opType.equals("Upsample") ? "asymmetric" : "half_pixel";
        String nearest = attrs.get("nearest_mode") instanceof String s ? s
                : opType.equals("Upsample") ? "floor" : "round_prefer_floor";
        for (String a : new String[] {"antialias", "axes", "keep_aspect_ratio_policy", "exclude_outside"}) {
            Object v = attrs.get(a);
            if (v != null && !(v instanceof Long l && l == 0) && !(a.equals("keep_aspect_ratio_policy")
                    && "stretch".equals(v))) {
                throw new OnnxUnsupportedException(opType + ": attribute " + a + " = " + v + " is not supported");
            }
        }
        String torch = switch (mode) {
            case "nearest" -> {
                if (ctm.equals("asymmetric") && nearest.equals("floor")) {
                    yield "nearest";
                }
                if ((ctm.equals("half_pixel") || ctm.equals("tf_half_pixel_for_nn")) && nearest.equals(
                        "round_prefer_ceil")) {
                    yield "nearest-exact";
                }
                yield HostResize.NEAREST_MODES.contains(nearest) && HostResize.COORDINATES.contains(ctm) ? "host" : null;
            }
            case "linear", "bilinear" -> ctm.equals("half_pixel") || ctm.equals("pytorch_half_pixel") ? "linear"
                    : ctm.equals("align_corners") ? "linear-align" : null;
            default -> null;
        };
        if (torch == null) {
            throw new OnnxUnsupportedException(opType + ": mode '" + mode + "' with coordinate_transformation_mode '"
                    + ctm + "'" + (mode.equals("nearest") ? " and nearest_mode '" + nearest + "'" : "")
                    + " is not supported (supported: nearest with any nearest_mode and the coordinate transformations "
                    + HostResize.COORDINATES + "; linear with half_pixel, pytorch_half_pixel or align_corners)");
        }
        return torch;
    }

    static Object resize(OnnxCall c) {
        Tensor x = c.in(0);
        int r = x.shape().rank();
        String family = check(c.opType(), c.attrs());
        int scalesAt = c.opType().equals("Upsample") ? 1 : 2;
        int[] size = null;
        double[] scales = null;
        if (c.has(scalesAt + 1) && c.in(scalesAt + 1).shape().size() > 0) {
            long[] s = c.longs(scalesAt + 1);
            if (s.length != r) {
                throw new IllegalArgumentException(c.opType() + ": sizes " + Arrays.toString(s) + " for rank " + r);
            }
            size = OnnxCall.toInts(c.opType(), Arrays.copyOfRange(s, 2, r));
            if (s[0] != x.shape().dim(0) || s[1] != x.shape().dim(1)) {
                throw new OnnxUnsupportedException(c.opType() + ": resizing the batch or channel dimension");
            }
        } else if (c.has(scalesAt) && c.in(scalesAt).shape().size() > 0) {
            double[] s = c.host(scalesAt).data;
            if (s.length != r) {
                throw new IllegalArgumentException(c.opType() + ": scales " + Arrays.toString(s) + " for rank " + r);
            }
            if (s[0] != 1 || s[1] != 1) {
                throw new OnnxUnsupportedException(c.opType() + ": resizing the batch or channel dimension");
            }
            scales = Arrays.copyOfRange(s, 2, r);
        } else if (c.hasAttr("scales")) {
            throw new OnnxUnsupportedException(c.opType() + ": the scales attribute (opset < 9) is not supported");
        } else {
            throw new IllegalArgumentException(c.opType() + ": needs scales or sizes");
        }
        if (!family.equals("host") && (r < 3 || r > 5)) {
            throw new OnnxUnsupportedException(c.opType() + " of a rank-" + r + " tensor (3 to 5 are supported)");
        }
        int[] in = java.util.Arrays.copyOfRange(x.shape().dims(), 2, r);
        for (int i = 0; i < in.length; i++) {
            double out = size != null ? size[i] : Math.floor(in[i] * scales[i]);
            if (family.equals("linear-align") && scales != null && out != in[i] * scales[i]) {
                throw new OnnxUnsupportedException(c.opType() + ": align_corners with scales " + java.util.Arrays
                        .toString(scales) + " that give no whole output size (ONNX maps with the unrounded size,"
                        + " PyTorch with the rounded one)");
            }
            if (family.equals("linear") && out == 1 && in[i] != 1 && "pytorch_half_pixel".equals(c.attrs().get(
                    "coordinate_transformation_mode"))) {
                throw new OnnxUnsupportedException(c.opType() + ": pytorch_half_pixel with an output size of 1"
                        + " (ONNX samples at 0, F.interpolate at the centre)");
            }
        }
        if (family.equals("host")) {
            return c.upload(HostResize.nearest(c.host(0), size, scales, c.attrString("coordinate_transformation_mode",
                    "half_pixel"), c.attrString("nearest_mode", "round_prefer_floor")));
        }
        String mode = family;
        Boolean align = null;
        if (family.startsWith("linear")) {
            mode = r == 3 ? "linear" : r == 4 ? "bilinear" : "trilinear";
            align = family.equals("linear-align");
        }
        return Resampling.interpolate(x, size, scales, mode, align, null);
    }
}
