package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.Shape;
import org.layers4j.spi.ConvGeometry;

/**
 * What the backend passes to cuDNN's descriptors for every fixture case, checked against the
 * fixture's own PyTorch tensors: input / weight / output dims (1-D as height 1), row-major strides,
 * padding, stride, dilation and the native group count.
 */
class ConvLayoutsTest {

    @Test
    void everyConvolutionFixtureIsCovered() {
        List<FixtureCases.Case> cases = FixtureCases.convolutions();
        assertFalse(cases.isEmpty());
        assertEquals(cases.size(), cases.stream().map(FixtureCases.Case::name).distinct().count());
    }

    @TestFactory
    Stream<DynamicTest> descriptorsMatchTheFixtureTensors() {
        return FixtureCases.convolutions().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(FixtureCases.Case c) {
        ConvGeometry g = c.plan().geometry();
        ConvLayouts l = ConvLayouts.of(g, CudaSettings.MathTypes.FMA);
        boolean is1d = c.contents().metadata().get("op").equals("conv1d");
        Shape in = c.contents().tensor("input").shape();
        Shape weight = c.contents().tensor("weight").shape();
        Shape out = c.contents().tensor("output").shape();
        int batched = in.rank() == (is1d ? 3 : 4) ? 1 : 0;
        int n = batched == 1 ? in.dim(0) : 1;
        int[] spatialIn = is1d ? new int[] {1, in.dim(in.rank() - 1)}
                : new int[] {in.dim(in.rank() - 2), in.dim(in.rank() - 1)};
        if (c.plan().padding() != null) {
            spatialIn[0] += c.plan().padding().top() + c.plan().padding().bottom();
            spatialIn[1] += c.plan().padding().left() + c.plan().padding().right();
        }
        int channels = in.dim(batched);
        assertArrayEquals(new int[] {n, channels, spatialIn[0], spatialIn[1]}, l.x().dims(), "input dims");
        assertArrayEquals(rowMajor(l.x().dims()), l.x().strides(), "input strides");
        int[] filter = is1d ? new int[] {weight.dim(0), weight.dim(1), 1, weight.dim(2)} : weight.dims();
        assertArrayEquals(filter, l.filterDims(), "filter dims [k, c/groups, kh, kw]");
        int[] y = is1d ? new int[] {n, out.dim(batched), 1, out.dim(out.rank() - 1)}
                : new int[] {n, out.dim(batched), out.dim(out.rank() - 2), out.dim(out.rank() - 1)};
        assertArrayEquals(y, l.y().dims(), "output dims = the PyTorch output's");
        assertArrayEquals(rowMajor(y), l.y().strides(), "output strides");
        assertArrayEquals(new int[] {1, y[1], 1, 1}, l.bias().dims(), "bias dims");
        assertEquals(Integer.parseInt(c.contents().metadata().get("groups")), l.groups(), "native group count");
        assertEquals(CudaSettings.MathTypes.FMA, l.mathType());
        assertArrayEquals(new int[] {g.padH(), g.padW()}, l.pad());
        assertArrayEquals(new int[] {g.strideH(), g.strideW()}, l.stride());
        assertArrayEquals(new int[] {g.dilationH(), g.dilationW()}, l.dilation());
        if (is1d) {
            assertEquals(0, l.pad()[0], "Conv1d pads no height");
            assertEquals(1, l.stride()[0]);
            assertEquals(1, l.dilation()[0]);
        }
    }

    private static int[] rowMajor(int[] dims) {
        return new int[] {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1};
    }

    @Test
    void nchwViewsOfEveryRankKeepTheChannelAxis() {
        assertArrayEquals(new int[] {2, 5, 1, 7}, TensorLayout.nchw(Shape.of(2, 5, 7)).dims());
        assertArrayEquals(new int[] {2, 5, 3, 7}, TensorLayout.nchw(Shape.of(2, 5, 3, 7)).dims());
        assertArrayEquals(new int[] {4, 5, 1, 1}, TensorLayout.nchw(Shape.of(4, 5)).dims());
        assertArrayEquals(new int[] {1, 5, 1, 1}, TensorLayout.nchw(Shape.of(5)).dims());
        assertArrayEquals(new int[] {6, 5, 3, 7}, TensorLayout.nchw(Shape.of(2, 3, 5, 3, 7)).dims());
        assertArrayEquals(new int[] {105, 21, 7, 1}, TensorLayout.nchw(Shape.of(2, 5, 3, 7)).strides());
        assertEquals(TensorLayout.contiguous(2, 5, 1, 7), TensorLayout.nchw(Shape.of(2, 5, 7)));
    }
}
