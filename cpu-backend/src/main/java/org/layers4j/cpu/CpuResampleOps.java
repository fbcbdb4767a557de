package org.layers4j.cpu;

import org.layers4j.spi.ResampleOps;

/** Interpolation on the CPU. */
final class CpuResampleOps implements ResampleOps {
    private final Elementwise split;
    private final ParallelRunner runner;

    CpuResampleOps(Elementwise split, ParallelRunner runner) {
        this.split = split;
        this.runner = runner;
    }
}
