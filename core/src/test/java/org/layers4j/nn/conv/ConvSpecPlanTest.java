package org.layers4j.nn.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;

class ConvSpecPlanTest {

    @Test
    void symmetricZeroPaddingIsLeftToTheConvolution() {
        ConvPlan p = Conv2d.builder(3, 4, 3).padding(1, 2).stride(2).spec().plan(Shape.of(2, 3, 9, 9));
        assertNull(p.padding());
        assertEquals(new ConvGeometry(2, 3, 9, 9, 4, 3, 3, 2, 2, 1, 2, 1, 1, 1), p.geometry());
        assertEquals(Shape.of(2, 4, 5, 6), p.outputShape());
    }

    @Test
    void sameWithAnEvenKernelPadsTheExtraElementRightAndBottomExplicitly() {
        ConvPlan p = Conv2d.builder(1, 1, 4, 2).padding("same").spec().plan(Shape.of(1, 1, 6, 7));
        // as PyTorch: only the excess is padded explicitly, the symmetric part stays implicit
        assertEquals(new PaddingPlan(PaddingMode.ZEROS, 0, 1, 0, 1), p.padding());
        assertEquals(1, p.geometry().padH());
        assertEquals(0, p.geometry().padW());
        assertEquals(Shape.of(1, 1, 6, 7), p.outputShape());
    }

    @Test
    void sameWithDilationPadsDilationTimesKernelMinusOne() {
        ConvPlan p = Conv1d.builder(1, 1, 3).padding("same").dilation(2).spec().plan(Shape.of(1, 1, 9));
        assertNull(p.padding());
        assertEquals(2, p.geometry().padW());
        assertEquals(Shape.of(1, 1, 9), p.outputShape());
    }

    @Test
    void reflectPaddingBecomesAnExplicitPadThenAnUnpaddedConvolution() {
        ConvPlan p = Conv2d.builder(3, 4, 3).padding(2).stride(2).paddingMode(PaddingMode.REFLECT).spec()
                .plan(Shape.of(2, 3, 8, 8));
        assertEquals(new PaddingPlan(PaddingMode.REFLECT, 2, 2, 2, 2), p.padding());
        assertEquals(new ConvGeometry(2, 3, 12, 12, 4, 3, 3, 2, 2, 0, 0, 1, 1, 1), p.geometry());
        assertEquals(Shape.of(2, 4, 5, 5), p.outputShape());
    }

    @Test
    void conv1dRunsAsHeightOne() {
        ConvPlan p = Conv1d.builder(6, 5, 3).stride(2).padding(1).spec().plan(Shape.of(2, 6, 4));
        assertEquals(new ConvGeometry(2, 6, 1, 4, 5, 1, 3, 1, 2, 0, 1, 1, 1, 1), p.geometry());
        assertEquals(Shape.of(2, 6, 1, 4), p.input4d());
        assertEquals(Shape.of(2, 5, 2), p.outputShape());
    }

    @Test
    void circularConv1dPadsOnlyTheWidth() {
        ConvPlan p = Conv1d.builder(3, 3, 3).padding(2).paddingMode(PaddingMode.CIRCULAR).spec().plan(Shape.of(2, 3, 8));
        assertEquals(new PaddingPlan(PaddingMode.CIRCULAR, 0, 0, 2, 2), p.padding());
    }

    @Test
    void unbatchedInputIsPlannedAsABatchOfOne() {
        ConvPlan p = Conv2d.builder(2, 3, 3).spec().plan(Shape.of(2, 5, 5));
        assertEquals(Shape.of(1, 2, 5, 5), p.input4d());
        assertEquals(Shape.of(3, 3, 3), p.outputShape());
    }

    @Test
    void reprMatchesPyTorch() {
        assertEquals("6, 5, kernel_size=(3,), stride=(2,), padding=(1,)",
                Conv1d.builder(6, 5, 3).stride(2).padding(1).spec().toString());
        assertEquals("4, 8, kernel_size=(1, 1), stride=(1, 1), groups=2, bias=False, padding_mode=reflect",
                Conv2d.builder(4, 8, 1).groups(2).bias(false).paddingMode(PaddingMode.REFLECT).spec().toString());
    }
}
