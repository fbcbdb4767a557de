package org.layers4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.layers4j.Shape;

/** Tensors print as PyTorch 1.13 prints them with default print options. */
class TensorTextTest {

    @Test
    void wholeNumbersPrintWithATrailingDotAlignedToOneWidth() {
        assertEquals("tensor([[ 0.,  1.,  2.],\n        [10., 11., 12.]])",
                TensorText.format(new float[] {0, 1, 2, 10, 11, 12}, Shape.of(2, 3), ""));
    }

    @Test
    void fractionsPrintWithFourDecimals() {
        assertEquals("tensor([ 0.5000, -1.2500], grad_fn=<ReluBackward0>)",
                TensorText.format(new float[] {0.5f, -1.25f}, Shape.of(2), "grad_fn=<ReluBackward0>"));
    }

    @Test
    void wideRangesSwitchToScientificNotation() {
        assertEquals("tensor([1.0000e-03, 2.0000e+01])", TensorText.format(new float[] {0.001f, 20}, Shape.of(2), ""));
    }

    @Test
    void higherDimensionsAreSeparatedByBlankLines() {
        assertEquals("tensor([[[1.],\n         [2.]],\n\n        [[3.],\n         [4.]]])",
                TensorText.format(new float[] {1, 2, 3, 4}, Shape.of(2, 2, 1), ""));
    }

    @Test
    void nanAndInfinityPrintAsPyTorchNamesThemWithoutWideningTheColumns() {
        assertEquals("tensor([nan, inf, 1.])", TensorText.format(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1},
                Shape.of(3), ""));
        assertEquals("tensor([1., -inf])", TensorText.format(new float[] {1, Float.NEGATIVE_INFINITY}, Shape.of(2), ""));
    }

    @Test
    void wholeNumbersOverAWideRangeAlsoSwitchToScientificNotation() {
        assertEquals("tensor([1.0000e+00, 2.0000e+03])", TensorText.format(new float[] {1, 2000}, Shape.of(2), ""));
    }

    @Test
    void tinyFractionsSwitchToScientificNotation() {
        assertEquals("tensor([5.0000e-05, 6.0000e-05])", TensorText.format(new float[] {5e-5f, 6e-5f}, Shape.of(2), ""));
    }

    @Test
    void longRowsWrapAtEightyColumns() {
        float[] v = new float[20];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 0.5f;
        }
        assertEquals("tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n"
                + "         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000,\n"
                + "        16.5000, 17.5000, 18.5000, 19.5000])", TensorText.format(v, Shape.of(20), ""));
    }

    @Test
    void aSuffixThatWouldPassEightyColumnsGoesOnItsOwnLine() {
        float[] v = {-2.4598f, -2.1647f, -1.8697f, -1.5746f, -1.2795f};
        assertEquals("tensor([[[[-2.4598, -2.1647, -1.8697, -1.5746, -1.2795]]]],\n       grad_fn=<ConvolutionBackward0>)",
                TensorText.format(v, Shape.of(1, 1, 1, 5), "grad_fn=<ConvolutionBackward0>"));
    }

    // The expected strings are PyTorch 1.13's, default print options (threshold 1000, edgeitems 3):
    //   import torch
    //   str(torch.arange(2000, dtype=torch.float32))
    //   str(torch.arange(1200, dtype=torch.float32).reshape(30, 40) / 7)
    //   str(torch.arange(1001, dtype=torch.float32).reshape(1001, 1) * 0.5)

    private static float[] arange(int n, float scale, boolean divide) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = divide ? i / scale : i * scale;
        }
        return v;
    }

    @Test
    void moreThanAThousandElementsAreSummarizedAsPyTorchPrintsThem() {
        assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
                + "        1.9990e+03])", TensorText.format(arange(2000, 1, false), Shape.of(2000)));
        assertEquals("tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 5.2857e+00, 5.4286e+00,\n"
                + "         5.5714e+00],\n"
                + "        [5.7143e+00, 5.8571e+00, 6.0000e+00,  ..., 1.1000e+01, 1.1143e+01,\n"
                + "         1.1286e+01],\n"
                + "        [1.1429e+01, 1.1571e+01, 1.1714e+01,  ..., 1.6714e+01, 1.6857e+01,\n"
                + "         1.7000e+01],\n"
                + "        ...,\n"
                + "        [1.5429e+02, 1.5443e+02, 1.5457e+02,  ..., 1.5957e+02, 1.5971e+02,\n"
                + "         1.5986e+02],\n"
                + "        [1.6000e+02, 1.6014e+02, 1.6029e+02,  ..., 1.6529e+02, 1.6543e+02,\n"
                + "         1.6557e+02],\n"
                + "        [1.6571e+02, 1.6586e+02, 1.6600e+02,  ..., 1.7100e+02, 1.7114e+02,\n"
                + "         1.7129e+02]])", TensorText.format(arange(1200, 7, true), Shape.of(30, 40)));
        assertEquals("tensor([[  0.0000],\n        [  0.5000],\n        [  1.0000],\n        ...,\n"
                + "        [499.0000],\n        [499.5000],\n        [500.0000]])",
                TensorText.format(arange(1001, 0.5f, false), Shape.of(1001, 1)));
    }

    @Test
    void aThousandElementsArePrintedWhole() {
        String s = TensorText.format(arange(1000, 1, false), Shape.of(1000));
        assertEquals(false, s.contains("..."), s);
    }
}
