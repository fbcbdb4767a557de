package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.layers4j.Shape;

/** Tensors print as PyTorch 1.13 prints them with default print options. */
class TorchFormatTest {

    @Test
    void wholeNumbersPrintWithATrailingDotAlignedToOneWidth() {
        assertEquals("tensor([[ 0.,  1.,  2.],\n        [10., 11., 12.]])",
                TorchFormat.tensor(new float[] {0, 1, 2, 10, 11, 12}, Shape.of(2, 3), ""));
    }

    @Test
    void fractionsPrintWithFourDecimals() {
        assertEquals("tensor([ 0.5000, -1.2500], grad_fn=<ReluBackward0>)",
                TorchFormat.tensor(new float[] {0.5f, -1.25f}, Shape.of(2), "grad_fn=<ReluBackward0>"));
    }

    @Test
    void wideRangesSwitchToScientificNotation() {
        assertEquals("tensor([1.0000e-03, 2.0000e+01])", TorchFormat.tensor(new float[] {0.001f, 20}, Shape.of(2), ""));
    }

    @Test
    void higherDimensionsAreSeparatedByBlankLines() {
        assertEquals("tensor([[[1.],\n         [2.]],\n\n        [[3.],\n         [4.]]])",
                TorchFormat.tensor(new float[] {1, 2, 3, 4}, Shape.of(2, 2, 1), ""));
    }

    @Test
    void nanAndInfinityPrintAsPyTorchNamesThem() {
        assertEquals("tensor([nan, inf, 1.])", TorchFormat.tensor(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1},
                Shape.of(3), "").replace("  ", " "));
    }
}
