package org.layers4j.cpu;

import org.layers4j.spi.PointwiseOps;

/** Broadcasting arithmetic, the newer activations and axis sums on the CPU. */
final class CpuPointwiseOps implements PointwiseOps {
    private final Kernels kernels;
    private final Elementwise split;
    private final ParallelRunner runner;

    CpuPointwiseOps(Kernels kernels, Elementwise split, ParallelRunner runner) {
        this.kernels = kernels;
        this.split = split;
        this.runner = runner;
    }
}
