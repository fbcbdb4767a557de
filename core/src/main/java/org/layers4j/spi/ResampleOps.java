package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Interpolation of [N, C, spatial...] tensors (PyTorch's {@code F.interpolate}): nearest and (bi)linear,
 * forward and backward, for one or two spatial dims (x and y of rank 3 or 4). Core has validated the
 * arguments and computed the output size.
 *
 * <p>{@code scales[d]} is the scale factor PyTorch hands the kernel for spatial dim d (the user's
 * scale_factor when one was given and recompute_scale_factor is not True), or 0 for none. For an input
 * size {@code in} and output size {@code out} of one dim, all in float32 as ATen computes it:
 * <ul>
 * <li>{@code s = scales[d] > 0 ? (float) (1.0 / scales[d]) : (float) in / out} (ATen's
 * {@code compute_scales_value});
 * <li>nearest: {@code src = out == in ? dst : out == 2 * in ? dst >> 1 : min(floor(dst * s), in - 1)}
 * (ATen's {@code nearest_idx}), except in the forward of a 1-D input, which PyTorch 1.13's CPU kernel
 * computes as {@code min(floor(dst * s), in - 1)} without the two shortcuts (they differ when a scale
 * factor gives out == in or out == 2 * in with {@code s != in / out}; the backward keeps them);
 * <li>nearest-exact: {@code src = min(floor((float) ((dst + 0.5) * s)), in - 1)};
 * <li>linear: with {@code r = align_corners ? (out > 1 ? (float) (in - 1) / (out - 1) : 0) : s}, the
 * source coordinate {@code c = align_corners ? r * dst : max(0, (float) (r * (dst + 0.5) - 0.5))}
 * (ATen's {@code area_pixel_compute_source_index}), {@code i0 = min((int) c, in - 1)},
 * {@code i1 = i0 + (i0 < in - 1 ? 1 : 0)}, {@code l1 = min(max(c - i0, 0), 1)}, {@code l0 = 1 - l1};
 * when {@code out == in}: {@code i0 = i1 = dst, l0 = 1, l1 = 0}. The output is
 * {@code sum over the corners of l_h * l_w * x[i_h, i_w]}.
 * </ul>
 * Backward is the transposed scatter: {@code dx = 0}, then every dy element added to each source it was
 * read from, times its weight, accumulated in float32 in dy's order within each (n, c) plane
 * (deterministic).
 */
public interface ResampleOps {
    /** y[n, c, o...] = x[n, c, src(o)...] with the nearest (or nearest-exact) source index per dim. */
    void nearest(Tensor x, Tensor y, double[] scales, boolean exact);

    /** dx = 0, then dx[n, c, src(o)...] += dy[n, c, o...] for every output element o. */
    void nearestBackward(Tensor dy, Tensor dx, double[] scales, boolean exact);

    /** Linear (1 spatial dim) or bilinear (2 spatial dims) interpolation, weights as the class says. */
    void linear(Tensor x, Tensor y, boolean alignCorners, double[] scales);

    /** dx = 0, then dx[n, c, i...] += weight * dy[n, c, o...] for every corner i of every output element o. */
    void linearBackward(Tensor dy, Tensor dx, boolean alignCorners, double[] scales);
}
