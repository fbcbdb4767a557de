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
    void nanAndInfinityPrintAsPyTorchNamesThemWithoutWideningTheColumns() {
        assertEquals("tensor([nan, inf, 1.])", TorchFormat.tensor(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1},
                Shape.of(3), ""));
        assertEquals("tensor([1., -inf])", TorchFormat.tensor(new float[] {1, Float.NEGATIVE_INFINITY}, Shape.of(2), ""));
    }

    @Test
    void wholeNumbersOverAWideRangeAlsoSwitchToScientificNotation() {
        assertEquals("tensor([1.0000e+00, 2.0000e+03])", TorchFormat.tensor(new float[] {1, 2000}, Shape.of(2), ""));
    }

    @Test
    void tinyFractionsSwitchToScientificNotation() {
        assertEquals("tensor([5.0000e-05, 6.0000e-05])", TorchFormat.tensor(new float[] {5e-5f, 6e-5f}, Shape.of(2), ""));
    }

    @Test
    void longRowsWrapAtEightyColumns() {
        float[] v = new float[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 0.5f;
        }
        assertEquals("tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n"
                + "         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000,\n"
                + "        16.5000, 17.5000, 18.5000, 19.5000])", TorchFormat.tensor(v, Shape.of(20), ""));
    }

    @Test
    void aSuffixThatWouldPassEightyColumnsGoesOnItsOwnLine() {
        float[] v = {-2.4598f, -2.1647f, -1.8697f, -1.5746f, -1.2795f};
        assertEquals("tensor([[[[-2.4598, -2.1647, -1.8697, -1.5746, -1.2795]]]],\n       grad_fn=<ConvolutionBackward0>)",
                TorchFormat.tensor(v, Shape.of(1, 1, 1, 5), "grad_fn=<ConvolutionBackward0>"));
    }
}
