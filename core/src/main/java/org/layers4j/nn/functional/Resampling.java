package org.layers4j.nn.functional;

import java.util.Arrays;
import java.util.Locale;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;
import org.layers4j.spi.ResampleOps;

/**
 * PyTorch's {@code F.interpolate} for [N, C, W] and [N, C, H, W] inputs in the modes {@code nearest}
 * (PyTorch's legacy nearest: {@code src = floor(dst * scale)}), {@code nearest-exact}, {@code linear} (3-D
 * input) and {@code bilinear} (4-D input), forward and backward, with PyTorch's argument checks and
 * messages. The index and weight formulas are ATen's; {@link ResampleOps} lists them.
 */
public final class Resampling {
    private Resampling() {
    }

    /**
     * F.interpolate(x, size, scale_factor, mode, align_corners, recompute_scale_factor). Exactly one of
     * {@code size} and {@code scaleFactor} is given; each holds one value per spatial dim, or a single value
     * used for every spatial dim (PyTorch's scalar form). With a scale factor the output size is
     * {@code floor(in * scale)}, and unless {@code recomputeScaleFactor} is true the scale itself (not
     * in / out) maps output to input coordinates, as in PyTorch. {@code alignCorners} (null = unset) is
     * only allowed for linear modes, where unset means false. {@code mode} null means nearest.
     */
    public static Tensor interpolate(Tensor x, int[] size, double[] scaleFactor, String mode, Boolean alignCorners,
                                     Boolean recomputeScaleFactor) {
        Shapes.requireTensor("interpolate", x);
        String m = mode == null ? "nearest" : mode;
        boolean linear = !(m.equals("nearest") || m.equals("area") || m.equals("nearest-exact"));
        if (!linear && alignCorners != null) {
            throw new IllegalArgumentException("align_corners option can only be set with the interpolating modes:"
                    + " linear | bilinear | bicubic | trilinear");
        }
        boolean align = alignCorners != null && alignCorners;
        Shape s = x.shape();
        int rank = s.rank();
        int dim = rank - 2;
        int[] spatial = Arrays.copyOfRange(s.dims(), Math.min(2, rank), rank);
        if (size != null && scaleFactor != null) {
            throw new IllegalArgumentException("only one of size or scale_factor should be defined");
        }
        int[] outSize = null;
        double[] scales = null;
        if (size != null) {
            if (size.length != 1 && size.length != dim) {
                throw new IllegalArgumentException("Input and output must have the same number of spatial dimensions,"
                        + " but got input with spatial dimensions of " + Arrays.toString(spatial) + " and output size of "
                        + tuple(Arrays.stream(size).mapToObj(Integer::toString).toArray(String[]::new))
                        + ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in"
                        + " (o1, o2, ...,oK) format.");
            }
            outSize = new int[Math.max(dim, 0)];
            for (int i = 0; i < outSize.length; i++) {
                outSize[i] = size.length == 1 ? size[0] : size[i];
            }
        } else if (scaleFactor != null) {
            if (scaleFactor.length != 1 && scaleFactor.length != dim) {
                throw new IllegalArgumentException("Input and scale_factor must have the same number of spatial"
                        + " dimensions, but got input with spatial dimensions of " + Arrays.toString(spatial)
                        + " and scale_factor of shape "
                        + tuple(Arrays.stream(scaleFactor).mapToObj(Double::toString).toArray(String[]::new))
                        + ". Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in"
                        + " (s1, s2, ...,sK) format.");
            }
            scales = new double[Math.max(dim, 0)];
            for (int i = 0; i < scales.length; i++) {
                scales[i] = scaleFactor.length == 1 ? scaleFactor[0] : scaleFactor[i];
            }
        } else {
            throw new IllegalArgumentException("either size or scale_factor should be defined");
        }
        boolean recompute = recomputeScaleFactor != null && recomputeScaleFactor;
        if (recompute && size != null) {
            throw new IllegalArgumentException("recompute_scale_factor is not meaningful with an explicit size.");
        }
        if (scales != null) {
            outSize = new int[scales.length];
            for (int i = 0; i < scales.length; i++) {
                // recompute: Python's floor(in * scale); else ATen's compute_output_size, a truncation
                double v = spatial[i] * scales[i];
                outSize[i] = (int) (recompute ? Math.floor(v) : v);
            }
            if (recompute) {
                scales = null;
            }
        }
        boolean exact = m.equals("nearest-exact");
        boolean nearest = m.equals("nearest") || exact;
        if (!(nearest && (rank == 3 || rank == 4) || m.equals("linear") && rank == 3
                || m.equals("bilinear") && rank == 4)) {
            throw unsupportedCombination(m, rank);
        }
        Shapes.requireFloat("interpolate", x);
        checkSizes(spatial, outSize);
        int[] out = s.dims();
        System.arraycopy(outSize, 0, out, 2, dim);
        Backend be = x.backend();
        double[] sc = scales == null ? new double[dim] : scales;
        Tensor y;
        if (nearest) {
            y = Module.compute(be, Shape.of(out), o -> be.resample().nearest(x, o, sc, exact), x);
        } else {
            y = Module.compute(be, Shape.of(out), o -> be.resample().linear(x, o, align, sc), x);
        }
        return Tape.record("interpolate", y, new Tensor[] {x}, new Parameter[0], new Tensor[0], (dy, saved) ->
                new Tensor[] {Module.compute(be, s, dx -> {
                    if (nearest) {
                        be.resample().nearestBackward(dy, dx, sc, exact);
                    } else {
                        be.resample().linearBackward(dy, dx, align, sc);
                    }
                }, dy)});
    }

    private static RuntimeException unsupportedCombination(String m, int rank) {
        String[] needs = {"linear", "3D", "bilinear", "4D", "trilinear", "5D"};
        for (int i = 0; i < needs.length; i += 2) {
            if (m.equals(needs[i]) && rank >= 3 && rank <= 5 && !needs[i + 1].equals(rank + "D")) {
                return new UnsupportedOperationException("Got " + rank + "D input, but " + m + " mode needs "
                        + needs[i + 1] + " input");
            }
        }
        if (rank >= 3 && rank <= 5 && Arrays.asList("nearest", "nearest-exact", "linear", "bilinear", "bicubic",
                "trilinear", "area").contains(m)) {
            return new UnsupportedOperationException("interpolate: mode '" + m + "' for " + rank
                    + "D input is not implemented in layers4j (supported: nearest and nearest-exact for 3D / 4D input,"
                    + " linear for 3D, bilinear for 4D)");
        }
        return new UnsupportedOperationException("Input Error: Only 3D, 4D and 5D input Tensors supported (got " + rank
                + "D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got " + m
                + ")");
    }

    private static void checkSizes(int[] in, int[] out) {
        boolean ok = true;
        for (int i = 0; i < in.length; i++) {
            ok &= in[i] > 0 && out[i] > 0;
        }
        if (ok) {
            return;
        }
        String[] names = in.length == 1 ? new String[] {"W"} : new String[] {"H", "W"};
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < in.length; i++) {
            String sep = i == 0 ? "" : ", ";
            a.append(sep).append(names[i]).append(": ").append(in[i]);
            b.append(sep).append(names[i]).append(": ").append(out[i]);
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "Input and output sizes should be greater than 0, but got input (%s)%s output (%s)", a,
                in.length == 1 ? " and" : "", b));
    }

    /** Python's repr of a tuple of the given element reprs: {@code (3,)} or {@code (2, 3)}. */
    static String tuple(String[] items) {
        return items.length == 1 ? "(" + items[0] + ",)" : "(" + String.join(", ", items) + ")";
    }
}
