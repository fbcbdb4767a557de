package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Named.named;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.ConvolutionOps;

/**
 * The three convolution passes against the float64 reference, on both kernel families and on geometries
 * chosen to reach every code path: GEMM and direct (depthwise) algorithms, stride-1 backward data through
 * the flipped forward and the col2im fallback, depth and row blocking, several column tiles, edge tiles.
 */
class ConvolutionTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String kernels : List.of("vector", "scalar")) {
            for (Arguments geometry : geometries()) {
                Object[] g = geometry.get();
                out.add(Arguments.of(kernels, g[0]));
            }
        }
        return out.stream();
    }

    private static List<Arguments> geometries() {
        return List.of(
                geometry("3x3 padded", 2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("stride (2,3) with a 3x5 kernel", 2, 4, 13, 10, 6, 3, 5, 2, 3, 1, 2, 1, 1, 1),
                geometry("dilation (2,3)", 1, 3, 12, 12, 5, 3, 3, 1, 1, 2, 2, 2, 3, 1),
                geometry("stride 2 with dilation 2", 2, 3, 13, 12, 9, 3, 3, 2, 2, 2, 1, 2, 2, 1),
                geometry("stride 3 with a 2x2 kernel and padding 2", 1, 4, 10, 11, 5, 2, 2, 3, 3, 2, 2, 1, 1, 1),
                geometry("grouped stride 2", 2, 8, 9, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, 4),
                geometry("depth 1080 beyond one micro-kernel depth block", 1, 120, 4, 5, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("3 groups", 2, 6, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 3),
                geometry("32 groups of 8 channels", 1, 64, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 8),
                geometry("depthwise", 2, 8, 10, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8),
                geometry("depthwise stride 2", 2, 4, 11, 11, 4, 3, 3, 2, 2, 1, 1, 1, 1, 4),
                geometry("depthwise with dilation 2", 1, 5, 9, 12, 5, 3, 3, 1, 1, 2, 2, 2, 2, 5),
                geometry("depthwise 5x5 stride 2 over stride phases", 2, 6, 14, 13, 6, 5, 5, 2, 2, 2, 2, 1, 1, 6),
                geometry("depthwise stride (3, 2), dilation (1, 2), multiplier 2", 1, 3, 13, 12, 6, 3, 3, 3, 2, 1, 2, 1, 2,
                        3),
                geometry("depthwise channel multiplier 2", 1, 3, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3),
                geometry("depthwise channel multiplier 4", 1, 3, 7, 7, 12, 3, 3, 1, 1, 1, 1, 1, 1, 3),
                geometry("depthwise padding beyond the kernel", 1, 4, 6, 6, 4, 3, 3, 1, 1, 3, 3, 1, 1, 4),
                geometry("1x1", 2, 37, 7, 9, 19, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("1x1 stride 2", 1, 6, 9, 9, 5, 1, 1, 2, 2, 0, 0, 1, 1, 1),
                geometry("1x1 with 16 outputs and a plane ending in a partial panel", 2, 12, 5, 7, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("1x1 grouped over a 40x40 plane", 1, 8, 40, 40, 12, 1, 1, 1, 1, 0, 0, 1, 1, 2),
                geometry("1x1 padded", 1, 5, 6, 6, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                geometry("1x1 over 1x1 planes (squeeze-excitation): dot products", 3, 70, 1, 1, 40, 1, 1, 1, 1, 0, 0, 1, 1,
                        1),
                geometry("1x1 over 1x1 planes, 2 groups", 2, 12, 1, 1, 66, 1, 1, 1, 1, 0, 0, 1, 1, 2),
                geometry("1x1 over a plane of whole vectors (8x8)", 2, 10, 8, 8, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("1x1 grouped over a 16x4 plane", 2, 12, 16, 4, 9, 1, 1, 1, 1, 0, 0, 1, 1, 3),
                geometry("conv1d kernel 7", 2, 5, 1, 40, 6, 1, 7, 1, 1, 0, 3, 1, 1, 1),
                geometry("conv1d of 3000 samples tiled along the row", 1, 64, 1, 3000, 4, 1, 3, 1, 1, 0, 1, 1, 1, 1),
                geometry("conv1d stride 2 dilation 2 tiled along the row", 1, 40, 1, 7001, 3, 1, 5, 1, 2, 0, 2, 1, 2, 1),
                geometry("7x7 stride 2 stem", 1, 3, 20, 18, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1),
                geometry("depth 360 and 150 rows crossing the GEMM blocks", 1, 40, 6, 7, 150, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("1200 output columns over several tiles", 1, 3, 40, 30, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("padding beyond the kernel", 1, 2, 5, 5, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1),
                geometry("unpadded kernel as large as the input", 2, 3, 4, 5, 4, 4, 5, 1, 1, 0, 0, 1, 1, 1),
                // output channels in whole micro-tile panels: the transposed weight gradient at every vector width
                geometry("48 outputs over 45 taps (a partial tap block)", 2, 5, 9, 11, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("2 groups of 64 outputs, stride 2, dilation 2", 2, 6, 13, 12, 128, 3, 3, 2, 2, 2, 1, 2, 2, 2),
                geometry("1x1 read in place, 64 outputs", 2, 37, 7, 9, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("96 channels of 36x36 in two bands, 64 outputs", 1, 96, 36, 36, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("conv1d tiled along the row, 32 outputs", 2, 64, 1, 3000, 32, 1, 3, 1, 1, 0, 1, 1, 1, 1),
                geometry("7x7 stride 2 stem, 64 outputs", 1, 3, 20, 18, 64, 7, 7, 2, 2, 3, 3, 1, 1, 1),
                // output rows not a multiple of the tile's: short row blocks (AVX2 6 + 4, 6 + 4 + 4; AVX-512 8 + 4)
                geometry("10 outputs: a short row block", 2, 5, 9, 11, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("13 outputs, stride 2: a padded short block", 1, 4, 13, 10, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1),
                geometry("2 groups of 14 outputs", 2, 6, 8, 9, 28, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                geometry("1x1 read in place, 10 outputs", 2, 37, 7, 9, 10, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("2x2 planes of 3 images, 28 outputs", 3, 12, 2, 2, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                // output rows of whole panels, narrower than the band rows: row-aligned panels (no junk columns)
                geometry("7x7 stride 2 stem, 32 outputs per row: row-aligned panels", 2, 3, 20, 64, 16, 7, 7, 2, 2, 3, 3,
                        1, 1, 1),
                geometry("7x7 stride 2, 30 outputs per row: row-aligned panels with junk", 1, 3, 21, 60, 10, 7, 7, 2, 2, 3,
                        3, 1, 1, 1),
                // band rows of exactly one panel (AVX2 14 + 2, AVX-512 30 + 2, 128-bit 6 + 2, 8x3 10 + 2): the kernel
                // stores straight into y, a row's junk spilling into the next row; each band's last row through a tile
                geometry("14-wide rows, 2 groups of 8: direct stores spilling into the next row", 1, 16, 11, 14, 16, 3, 3,
                        1, 1, 1, 1, 1, 1, 2),
                geometry("30-wide rows over 3 images, 8 outputs", 3, 8, 9, 30, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("6-wide rows, 2 groups of 8", 2, 16, 7, 6, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                geometry("10-wide rows, 2 groups of 8", 1, 16, 9, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                geometry("14-wide rows, 5 outputs: padding rows, stored through the tile", 2, 4, 6, 14, 5, 3, 3, 1, 1, 1,
                        1, 1, 1, 1),
                // unit stride keeping the width: the flat band (whole planes, no junk columns) where it computes less
                geometry("5x5 kernel, padding 2, 2 groups of 8: flat band", 2, 16, 9, 12, 16, 5, 5, 1, 1, 2, 2, 1, 1, 2),
                geometry("dilation 2, padding 2, 9x10 planes: flat band", 2, 6, 9, 10, 10, 3, 3, 1, 1, 2, 2, 2, 2, 1),
                geometry("conv1d kernel 3 over 20 samples, 4 groups: flat band", 3, 8, 1, 20, 12, 1, 3, 1, 1, 0, 1, 1, 1,
                        4),
                geometry("padding (0, 1): flat band with no padding rows", 2, 4, 7, 9, 8, 3, 3, 1, 1, 0, 1, 1, 1, 1),
                // one vector of outputs per group (AVX-512 16, AVX2 8, 128-bit 4; scalar 1): the lane weight gradient
                geometry("2 groups of 4 outputs over 3 channels", 2, 6, 7, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                geometry("4 outputs over 4 channels: two channel pairs", 1, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("2 groups of 8 over 7 channels, row stride 2, row dilation 2", 2, 14, 11, 10, 16, 3, 3, 2, 1,
                        1, 1, 2, 1, 2),
                geometry("8 outputs over 1 channel", 2, 1, 6, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("conv1d kernel 3, 8 outputs over 3 channels", 2, 3, 1, 40, 8, 1, 3, 1, 1, 0, 1, 1, 1, 1),
                geometry("16 outputs over 5 channels, unpadded", 2, 5, 8, 9, 16, 3, 3, 1, 1, 0, 0, 1, 1, 1),
                geometry("16 outputs over 1 channel, padding 2", 1, 1, 6, 7, 16, 3, 3, 1, 1, 2, 2, 1, 1, 1),
                geometry("1 output over 5 channels, padding (1, 2)", 2, 5, 6, 7, 1, 3, 3, 1, 1, 1, 2, 1, 1, 1),
                // strided backward data through phased col2im rows: odd widths, negative shifts, strides 2 and 3
                geometry("stride 3 width, 5x4 kernel, padding 2, dilation (1, 2)", 2, 3, 11, 17, 5, 5, 4, 1, 3, 2, 2, 1, 2,
                        1),
                geometry("stride 2, 7x7 kernel, padding 3, odd width, 2 groups", 1, 4, 9, 15, 6, 7, 7, 2, 2, 3, 3, 1, 1, 2),
                // one image with too few bands for the threads: output channels split into parts (ChannelParts)
                geometry("7x7 plane of 64 channels, 64 outputs: one band in channel parts", 1, 64, 7, 7, 64, 3, 3, 1, 1,
                        1, 1, 1, 1, 1),
                geometry("7x7 plane, 20 outputs: parts ending in a short block", 1, 24, 7, 7, 20, 3, 3, 1, 1, 1, 1, 1, 1,
                        1),
                geometry("14-wide rows, 48 outputs: direct stores in channel parts", 1, 16, 11, 14, 48, 3, 3, 1, 1, 1, 1,
                        1, 1, 1),
                geometry("5x5 kernel, padding 2, 40 outputs: a flat band in channel parts", 1, 16, 9, 12, 40, 5, 5, 1, 1,
                        2, 2, 1, 1, 1),
                geometry("stride 2, 36 outputs: a polyphase band in channel parts", 1, 12, 13, 13, 36, 3, 3, 2, 2, 1, 1,
                        1, 1, 1),
                geometry("1x1 at batch 1, weights larger than the plane: channel parts", 1, 24, 5, 6, 44, 1, 1, 1, 1,
                        0, 0, 1, 1, 1),
                geometry("1x1 at batch 1 over a 7x7 plane, 2 groups of 40: channel parts", 1, 64, 7, 7, 80, 1, 1, 1, 1, 0,
                        0, 1, 1, 2),
                // deep 1x1 chunks (channels x chunk over IndirectConvolution.ROW_BLOCKS_OUTER_FLOATS): all row blocks
                // per panel; the shallower 1x1 cases above sweep each row block over the chunk's panels
                geometry("1x1 deep over a 24x24 plane: row blocks per panel", 4, 128, 24, 24, 24, 1, 1, 1, 1, 0, 0, 1,
                        1, 1),
                geometry("1x1 deep, 13 outputs, chunks ending in a partial panel", 8, 100, 17, 19, 13, 1, 1, 1, 1, 0,
                        0, 1, 1, 1),
                // strided unpadded 1x1: the input positions it reads gathered, then the in-place 1x1 GEMM
                geometry("1x1 stride 2 over 3 images, 40 outputs", 3, 24, 14, 14, 40, 1, 1, 2, 2, 0, 0, 1, 1, 1),
                geometry("1x1 stride (3, 2), 2 groups", 2, 8, 11, 9, 12, 1, 1, 3, 2, 0, 0, 1, 1, 2),
                // planes too small for the band kernels' panels: one im2col GEMM over the batch
                geometry("2x2 planes of 3 images, 40 outputs", 3, 12, 2, 2, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("7x7 planes, 32 outputs (batch GEMM with six-row tiles, bands with eight)", 2, 8, 7, 7, 32, 3, 3,
                        1, 1, 1, 1, 1, 1, 1),
                geometry("4x4 planes, 2 groups of 48 outputs", 2, 10, 4, 4, 96, 3, 3, 1, 1, 1, 1, 1, 1, 2),
                geometry("5x3 planes, stride 2, dilation 2, padding 2", 4, 7, 5, 3, 64, 3, 3, 2, 2, 2, 2, 2, 2, 1),
                geometry("3x3 planes with a 2x3 kernel and 1x2 padding", 5, 9, 3, 3, 33, 2, 3, 1, 1, 1, 2, 1, 1, 1),
                // the batch GEMM per position class (at least 16 channels per group): only the taps inside the input
                geometry("2x2 planes of 24 images, 32 channels: position classes", 24, 32, 2, 2, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("5x5 input of 32 images, stride 2, 2 groups of 24 channels: position classes", 32, 48, 5, 5, 64, 3, 3, 2, 2,
                        1, 1, 1, 1, 2),
                geometry("3x4 planes, 5x5 kernel, padding (2, 4), column dilation 2: position classes", 4, 20, 3, 4, 36, 5,
                        5, 1, 1, 2, 4, 1, 2, 1),
                geometry("2x2 input, padding 3: positions with no tap inside", 2, 16, 2, 2, 32, 3, 3, 1, 1, 3, 3, 1, 1, 1),
                // strides too large for polyphase bands (one plane per phase): im2col, col2im, a gather loop
                geometry("stride 2^31-1 with one output", 3, 4, 1, 6, 4, 1, 1, 1, Integer.MAX_VALUE, 0, 0, 1, 1, 2),
                geometry("stride 2^29 over 2^30 of padding, three outputs", 2, 2, 3, 6, 40, 2, 1, 1, 1 << 29, 1, 1 << 29,
                        1, 1, 1),
                geometry("depthwise, stride 2^30 with one output", 2, 3, 5, 4, 3, 3, 3, 1 << 30, 1, 1, 1, 1, 1, 3));
    }

    private static Arguments geometry(String name, int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw,
                                      int ph, int pw, int dh, int dw, int groups) {
        return Arguments.of(named(name, new ConvGeometry(n, c, h, w, k, kh, kw, sh, sw, ph, pw, dh, dw, groups)));
    }

    private static Shape input(ConvGeometry g) {
        return Shape.of(g.n(), g.c(), g.h(), g.w());
    }

    private static Shape weight(ConvGeometry g) {
        return Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw());
    }

    private static Shape output(ConvGeometry g) {
        return Shape.of(g.n(), g.k(), g.outH(), g.outW());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void forwardMatchesFloat64Reference(String kernels, ConvGeometry g) {
        float[] x = TestSupport.random(1, input(g).size());
        float[] w = TestSupport.random(2, weight(g).size());
        try (CpuBackend b = TestSupport.backend(kernels, 3);
             Tensor xt = b.upload(x, input(g)); Tensor wt = b.upload(w, weight(g));
             Tensor y = b.upload(TestSupport.random(3, output(g).size()), output(g))) {
            b.convolution().forward(g, xt, wt, y);
            TestSupport.assertClose(Reference.convForward(g, x, w), y.toArray());
        }
    }

    /** The bias added as outputs are stored equals a separate bias pass, bit for bit, on every path. */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void fusedBiasEqualsForwardThenBiasAdd(String kernels, ConvGeometry g) {
        float[] x = TestSupport.random(1, input(g).size());
        float[] w = TestSupport.random(2, weight(g).size());
        float[] bias = TestSupport.random(10, g.k());
        try (CpuBackend b = TestSupport.backend(kernels, 3);
             Tensor xt = b.upload(x, input(g)); Tensor wt = b.upload(w, weight(g));
             Tensor bt = b.upload(bias, Shape.of(g.k()));
             Tensor y = b.upload(TestSupport.random(3, output(g).size()), output(g));
             Tensor fused = b.upload(TestSupport.random(11, output(g).size()), output(g))) {
            b.convolution().forward(g, xt, wt, y);
            b.convolution().biasAdd(y, bt);
            b.convolution().forward(g, xt, wt, bt, fused);
            assertArrayEquals(y.toArray(), fused.toArray());
            double[] expected = Reference.convForward(g, x, w);
            int plane = g.outH() * g.outW();
            for (int i = 0; i < expected.length; i++) {
                expected[i] += bias[i / plane % g.k()];
            }
            TestSupport.assertClose(expected, fused.toArray());
        }
    }

    /** The SPI's two-pass default (what backends without a fused bias run) gives the fused result. */
    @Test
    void defaultTwoPassForwardMatchesTheFusedOne() {
        ConvGeometry g = new ConvGeometry(2, 5, 9, 11, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        try (CpuBackend b = TestSupport.backend("vector", 2);
             Tensor xt = b.upload(TestSupport.random(1, input(g).size()), input(g));
             Tensor wt = b.upload(TestSupport.random(2, weight(g).size()), weight(g));
             Tensor bt = b.upload(TestSupport.random(3, g.k()), Shape.of(g.k()));
             Tensor y = b.allocate(output(g)); Tensor fused = b.allocate(output(g))) {
            ConvolutionOps ops = b.convolution();
            ConvolutionOps twoPass = TestSupport.defaultsOf(ops);
            twoPass.forward(g, xt, wt, bt, y);
            ops.forward(g, xt, wt, bt, fused);
            assertArrayEquals(y.toArray(), fused.toArray());
            try (Tensor wrong = b.allocate(Shape.of(g.k() + 1))) {
                for (ConvolutionOps o : List.of(ops, twoPass)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> o.forward(g, xt, wt, wrong, fused));
                    assertTrue(e.getMessage().contains("bias must have shape [10]"), e.getMessage());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void backwardDataMatchesFloat64Reference(String kernels, ConvGeometry g) {
        float[] dy = TestSupport.random(4, output(g).size());
        float[] w = TestSupport.random(5, weight(g).size());
        try (CpuBackend b = TestSupport.backend(kernels, 3);
             Tensor dyt = b.upload(dy, output(g)); Tensor wt = b.upload(w, weight(g));
             Tensor dx = b.upload(TestSupport.random(6, input(g).size()), input(g))) {
            b.convolution().backwardData(g, dyt, wt, dx);
            TestSupport.assertClose(Reference.convBackwardData(g, dy, w), dx.toArray());
        }
    }

    /** Each weight's sum runs in one order whatever the task split: 1 and 3 threads agree bit for bit. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void backwardFilterDoesNotDependOnTheThreadCount(ConvGeometry g) {
        float[] x = TestSupport.random(7, input(g).size());
        float[] dy = TestSupport.random(8, output(g).size());
        float[][] dws = new float[2][];
        int[] threads = {1, 3};
        for (int i = 0; i < 2; i++) {
            try (CpuBackend b = TestSupport.backend("vector", threads[i]);
                 Tensor xt = b.upload(x, input(g)); Tensor dyt = b.upload(dy, output(g));
                 Tensor dw = b.upload(new float[weight(g).size()], weight(g))) {
                b.convolution().backwardFilter(g, xt, dyt, dw);
                dws[i] = dw.toArray();
            }
        }
        assertArrayEquals(dws[0], dws[1]);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void backwardFilterMatchesFloat64Reference(String kernels, ConvGeometry g) {
        float[] x = TestSupport.random(7, input(g).size());
        float[] dy = TestSupport.random(8, output(g).size());
        try (CpuBackend b = TestSupport.backend(kernels, 3);
             Tensor xt = b.upload(x, input(g)); Tensor dyt = b.upload(dy, output(g));
             Tensor dw = b.upload(TestSupport.random(9, weight(g).size()), weight(g))) {
            b.convolution().backwardFilter(g, xt, dyt, dw);
            TestSupport.assertClose(Reference.convBackwardFilter(g, x, dy), dw.toArray());
        }
    }
}
