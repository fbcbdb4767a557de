package org.layers4j.nn;

import java.util.Arrays;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.nn.functional.Resampling;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None,
 * recompute_scale_factor=None)}: {@link Resampling#interpolate} with these arguments. A size or scale
 * factor of one element applies to every spatial dim (PyTorch's scalar form); modes nearest,
 * nearest-exact, linear (3-D input) and bilinear (4-D input).
 */
public final class Upsample extends Module {
    private final int[] size;
    private final double[] scaleFactor;
    private final String mode;
    private final Boolean alignCorners;
    private final Boolean recomputeScaleFactor;

    /** Upsample by one scale factor for every spatial dim. */
    public Upsample(double scaleFactor, String mode) {
        this(null, new double[] {scaleFactor}, mode, null, null, null);
    }

    public Upsample(int[] size, double[] scaleFactor, String mode, Boolean alignCorners, Backend backend) {
        this(size, scaleFactor, mode, alignCorners, null, backend);
    }

    /** Upsample by the given scale factor(s) (one, or one per spatial dim). */
    public Upsample(double[] scaleFactor, String mode, Boolean alignCorners, Backend backend) {
        this(null, scaleFactor, mode, alignCorners, null, backend);
    }

    /** Upsample to a size given boxed, as a model loader may hold it (one, or one per spatial dim). */
    public static Upsample ofSize(Integer[] size, String mode, Boolean alignCorners, Backend backend) {
        return new Upsample(size == null ? null : Arrays.stream(size).mapToInt(Integer::intValue).toArray(), null, mode,
                alignCorners, null, backend);
    }

    public Upsample(int[] size, double[] scaleFactor, String mode, Boolean alignCorners, Boolean recomputeScaleFactor,
                    Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        this.size = size == null ? null : size.clone();
        this.scaleFactor = scaleFactor == null ? null : scaleFactor.clone();
        this.mode = mode == null ? "nearest" : mode;
        this.alignCorners = alignCorners;
        this.recomputeScaleFactor = recomputeScaleFactor;
    }

    /** The output size (null when a scale factor is used). */
    public int[] size() {
        return size == null ? null : size.clone();
    }

    /** The scale factor (null when a size is used). */
    public double[] scaleFactor() {
        return scaleFactor == null ? null : scaleFactor.clone();
    }

    public String mode() {
        return mode;
    }

    /** align_corners as given (null: unset). */
    public Boolean alignCorners() {
        return alignCorners;
    }

    /** recompute_scale_factor as given (null: unset). */
    public Boolean recomputeScaleFactor() {
        return recomputeScaleFactor;
    }

    @Override
    public Tensor forward(Tensor input) {
        requireInput("Upsample", input);
        return Resampling.interpolate(input, size, scaleFactor, mode, alignCorners, recomputeScaleFactor);
    }

    @Override
    protected String extraRepr() {
        String info;
        if (scaleFactor != null) {
            info = "scale_factor=" + (scaleFactor.length == 1 ? Double.toString(scaleFactor[0])
                    : tuple(Arrays.stream(scaleFactor).mapToObj(Double::toString).toArray(String[]::new)));
        } else {
            info = "size=" + (size == null ? "None" : size.length == 1 ? Integer.toString(size[0])
                    : tuple(Arrays.stream(size).mapToObj(Integer::toString).toArray(String[]::new)));
        }
        return info + ", mode=" + mode;
    }

    private static String tuple(String[] items) {
        return items.length == 1 ? "(" + items[0] + ",)" : "(" + String.join(", ", items) + ")";
    }
}
