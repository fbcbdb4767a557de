package org.layers4j.onnx;

import java.util.List;

/** Nearest-neighbour Resize on the host for the modes F.interpolate has no match for (ONNX's default one). */
final class HostResize {
    static final List<String> NEAREST_MODES = List.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil");
    static final List<String> COORDINATES = List.of("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
            "tf_half_pixel_for_nn");

    private HostResize() {
    }

    /** x [N, C, spatial...] resized on its spatial dimensions to {@code size}, or by {@code scales}. */
    static NdArray nearest(NdArray x, int[] size, double[] scales, String ctm, String mode) {
        int r = x.rank();
        int n = r - 2;
        int[] out = x.shape.clone();
        double[] scale = new double[n];
        for (int i = 0; i < n; i++) {
            int in = x.shape[i + 2];
            out[i + 2] = size != null ? size[i] : (int) Math.floor(in * scales[i]);
            scale[i] = size != null ? (double) out[i + 2] / in : scales[i];
        }
        int[][] src = new int[n][];
        for (int i = 0; i < n; i++) {
            int in = x.shape[i + 2];
            int len = out[i + 2];
            src[i] = new int[len];
            for (int o = 0; o < len; o++) {
                double c = switch (ctm) {
                    case "half_pixel" -> (o + 0.5) / scale[i] - 0.5;
                    case "pytorch_half_pixel" -> len > 1 ? (o + 0.5) / scale[i] - 0.5 : 0;
                    case "align_corners" -> len == 1 ? 0 : o * (in - 1.0) / (len - 1.0);
                    case "tf_half_pixel_for_nn" -> (o + 0.5) / scale[i];
                    default -> o / scale[i];
                };
                double v = switch (mode) {
                    case "floor" -> Math.floor(c);
                    case "ceil" -> Math.ceil(c);
                    case "round_prefer_ceil" -> Math.floor(c + 0.5);
                    default -> c == Math.floor(c) + 0.5 ? Math.floor(c) : Math.round(c);
                };
                src[i][o] = (int) Math.max(0, Math.min(in - 1, v));
            }
        }
        double[] data = new double[NdArray.checkedCount(out)];
        int[] st = NdArray.strides(x.shape);
        int[] pos = new int[r];
        for (int k = 0; k < data.length; k++) {
            int off = pos[0] * st[0] + pos[1] * st[1];
            for (int i = 0; i < n; i++) {
                off += src[i][pos[i + 2]] * st[i + 2];
            }
            data[k] = x.data[off];
            for (int d = r - 1; d >= 0; d--) {
                if (++pos[d] < out[d]) {
                    break;
                }
                pos[d] = 0;
            }
        }
        return new NdArray(out, data, x.integer);
    }
}
