package org.layers4j.spi;

/**
 * Interpolation of [N, C, spatial...] tensors (PyTorch's {@code F.interpolate}): nearest and (bi)linear,
 * forward and backward. (Filled in by the resample work.)
 */
public interface ResampleOps {
}
