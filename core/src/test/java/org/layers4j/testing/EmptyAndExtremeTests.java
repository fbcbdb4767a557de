package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;
import org.layers4j.nn.activation.LogSoftmax;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.activation.Softmax;
import org.layers4j.nn.activation.Tanh;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.nn.linear.Embedding;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.norm.BatchNorm1d;
import org.layers4j.nn.norm.BatchNorm2d;
import org.layers4j.nn.pool.AdaptiveAvgPool2d;
import org.layers4j.nn.pool.AdaptiveMaxPool2d;
import org.layers4j.nn.pool.AvgPool1d;
import org.layers4j.nn.pool.MaxPool2d;
import org.layers4j.nn.pool.PoolOptions;
import org.layers4j.spi.Backend;

/**
 * Issue 10: empty batches (N = 0) and extreme geometries, on any backend. An empty batch gives
 * PyTorch's empty output and zero gradients (shapes from PyTorch 1.13); a geometry PyTorch computes
 * gives its values, one it cannot allocate an IllegalArgumentException naming the size — never zeros,
 * an index error from a kernel, or an overflowed number in a message.
 */
public abstract class EmptyAndExtremeTests {
    protected abstract Backend backend();

    private Tensor ones(int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.size()];
        java.util.Arrays.fill(v, 1f);
        return backend().upload(v, s);
    }

    /** Forward and backward of an empty input: output shape as PyTorch, dx empty, every parameter gradient zeros. */
    private void empty(Module m, int[] in, int[] out) {
        try (m; Tensor x = ones(in); Tensor y = m.forward(x)) {
            assertEquals(Shape.of(out), y.shape(), m.toString());
            try (Tensor dy = ones(out); Gradients g = m.backward(x, dy)) {
                assertEquals(Shape.of(in), g.input().shape());
                for (Map.Entry<String, Tensor> e : g.parameters().entrySet()) {
                    assertEquals(m.get(e.getKey()).shape(), e.getValue().shape(), e.getKey());
                    for (float f : e.getValue().toArray()) {
                        assertEquals(0f, f, m + " " + e.getKey());
                    }
                }
            }
        }
    }

    @Test
    void emptyBatchConvolutions() {
        Backend be = backend();
        empty(Conv1d.builder(4, 5, 3).backend(be).build(), new int[] {0, 4, 10}, new int[] {0, 5, 8});
        empty(Conv2d.builder(3, 4, 3).padding(1).backend(be).build(), new int[] {0, 3, 5, 5}, new int[] {0, 4, 5, 5});
        empty(Conv2d.builder(3, 4, 4).padding("same").backend(be).build(), new int[] {0, 3, 5, 5}, new int[] {0, 4, 5, 5});
        empty(Conv2d.builder(3, 4, 3).padding(1).paddingMode(PaddingMode.REFLECT).backend(be).build(),
                new int[] {0, 3, 5, 5}, new int[] {0, 4, 5, 5});
    }

    @Test
    void emptyBatchOtherLayers() {
        Backend be = backend();
        empty(new Linear(3, 2, true, be, 0), new int[] {0, 3}, new int[] {0, 2});
        empty(new Linear(3, 2, true, be, 0), new int[] {2, 0, 3}, new int[] {2, 0, 2});
        empty(new MaxPool2d(PoolOptions.of(2).backend(be)), new int[] {0, 3, 4, 4}, new int[] {0, 3, 2, 2});
        empty(new AvgPool1d(PoolOptions.of(2).backend(be)), new int[] {0, 3, 4}, new int[] {0, 3, 2});
        empty(new AdaptiveAvgPool2d(be, 2), new int[] {0, 3, 4, 4}, new int[] {0, 3, 2, 2});
        empty(new AdaptiveMaxPool2d(be, 2), new int[] {0, 3, 4, 4}, new int[] {0, 3, 2, 2});
        BatchNorm2d bn = new BatchNorm2d(3, 1e-5, 0.1, true, true, be);
        bn.eval();
        empty(bn, new int[] {0, 3, 4, 4}, new int[] {0, 3, 4, 4});
        BatchNorm1d bn1 = new BatchNorm1d(3, 1e-5, 0.1, true, true, be);
        bn1.eval();
        empty(bn1, new int[] {0, 3}, new int[] {0, 3});
        BatchNorm2d bnt = new BatchNorm2d(3, 1e-5, 0.1, true, true, be);
        empty(bnt, new int[] {0, 3, 4, 4}, new int[] {0, 3, 4, 4});
        empty(new ReLU(be), new int[] {0, 3}, new int[] {0, 3});
        empty(new Tanh(be), new int[] {0}, new int[] {0});
        empty(new org.layers4j.nn.activation.Sigmoid(be), new int[] {0, 3, 2}, new int[] {0, 3, 2});
        empty(new org.layers4j.nn.activation.LeakyReLU(0.1, be), new int[] {0, 3}, new int[] {0, 3});
        empty(new org.layers4j.nn.Dropout(0.5, 1, be), new int[] {0, 3}, new int[] {0, 3});
        empty(new org.layers4j.nn.pool.AdaptiveAvgPool1d(2, be), new int[] {0, 3, 4}, new int[] {0, 3, 2});
        empty(new Softmax(1, be), new int[] {0, 3}, new int[] {0, 3});
        empty(new Softmax(1, be), new int[] {2, 0}, new int[] {2, 0});
        empty(new LogSoftmax(0, be), new int[] {0, 3}, new int[] {0, 3});
        empty(new Flatten(1, -1, be), new int[] {0, 3, 4}, new int[] {0, 12});
        empty(new Sequential(Conv2d.builder(3, 4, 3).padding(1).backend(be).build(), new ReLU(be),
                new MaxPool2d(PoolOptions.of(2).backend(be)), new Flatten(1, -1, be), new Linear(16, 2, true, be, 0)),
                new int[] {0, 3, 4, 4}, new int[] {0, 2});
    }

    @Test
    void emptyEmbedding() {
        try (Embedding e = new Embedding(5, 3, null, backend(), 0);
             Tensor idx = backend().upload(new long[0], Shape.of(0, 2));
             Tensor y = e.forward(idx)) {
            assertEquals(Shape.of(0, 2, 3), y.shape());
        }
    }

    @Test
    void shapeWithAZeroDimensionAnywhere() {
        assertEquals(0, Shape.of(65536, 65536, 0).size());
        assertEquals(0, Shape.of(0, 65536, 65536).size());
        assertEquals(0, Shape.of(65536, 0, 65536, 65536).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 65536, 1).size());
        assertTrue(e.getMessage().contains("4294967296"), e.getMessage());
    }

    private static IllegalArgumentException rejects(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should contain '" + p + "'");
        }
        assertTrue(!e.getMessage().contains("-2147"), e.getMessage());
        return e;
    }

    private float[] conv1d(Function<org.layers4j.nn.conv.ConvBuilder<Conv1d>, org.layers4j.nn.conv.ConvBuilder<Conv1d>> cfg,
                           int cin, int cout, int k, int... in) {
        try (Conv1d c = cfg.apply(Conv1d.builder(cin, cout, k).backend(backend())).build(); Tensor x = ones(in);
             Tensor y = c.forward(x)) {
            return y.toArray();
        }
    }

    @Test
    void hugePaddingIsRejectedNamingTheSize() {
        // PyTorch: cannot allocate [1, 5, 4294967292] floats; layers4j must not return zeros
        rejects(() -> conv1d(b -> b.padding(Integer.MAX_VALUE), 4, 5, 3, 1, 4, 10), "4294967302", "2^31-1");
        rejects(() -> conv1d(b -> b.padding(1 << 30), 4, 5, 3, 1, 4, 10), "2147483656");
        rejects(() -> conv1d(b -> b.dilation(Integer.MAX_VALUE), 4, 5, 3, 1, 4, 10), "Kernel size");
        rejects(() -> conv1d(b -> b.dilation(1 << 30), 4, 5, 3, 1, 4, 10), "2147483649");
        try (Conv2d c = Conv2d.builder(1, 1, 3).padding(Integer.MAX_VALUE).backend(backend()).build();
             Tensor x = ones(1, 1, 4, 4)) {
            rejects(() -> c.forward(x).close(), "elements");
        }
    }

    @Test
    void hugeDilationWithSamePaddingGivesPyTorchsValues() {
        // PyTorch: only the middle tap meets the input; output = sum over channels of w[:, :, 1] * x + bias
        try (Conv1d c = Conv1d.builder(2, 3, 3).dilation(1 << 30).padding("same").backend(backend()).build();
             Tensor x = ones(1, 2, 10); Tensor y = c.forward(x)) {
            assertEquals(Shape.of(1, 3, 10), y.shape());
            float[] w = c.weight().toArray();
            float[] b = c.bias().toArray();
            float[] out = y.toArray();
            for (int k = 0; k < 3; k++) {
                float expect = w[(k * 2) * 3 + 1] + w[(k * 2 + 1) * 3 + 1] + b[k];
                for (int i = 0; i < 10; i++) {
                    assertEquals(expect, out[k * 10 + i], 1e-5, "k " + k + " i " + i);
                }
            }
            try (Tensor dy = ones(1, 3, 10); Gradients g = c.backward(x, dy)) {
                float[] dw = g.weight().toArray();
                for (int i = 0; i < dw.length; i++) {
                    assertEquals(i % 3 == 1 ? 10f : 0f, dw[i], 1e-5, "dw " + i);
                }
                float[] dx = g.input().toArray();
                for (int ch = 0; ch < 2; ch++) {
                    float expect = w[ch * 3 + 1] + w[(2 + ch) * 3 + 1] + w[(4 + ch) * 3 + 1];
                    assertEquals(expect, dx[ch * 10 + 3], 1e-5);
                }
            }
        }
        try (Conv2d c = Conv2d.builder(1, 1, 3).dilation(1 << 30, 1).padding("same").backend(backend()).build();
             Tensor x = ones(1, 1, 4, 4); Tensor y = c.forward(x)) {
            assertEquals(Shape.of(1, 1, 4, 4), y.shape());
        }
    }

    @Test
    void hugeStrideAndPaddingDoNotReachAKernel() {
        // floor((10 + 2^31 - 2 - 1) / 2^30) + 1 = 3 outputs per row: PyTorch computes them (bias only at the ends)
        try (Conv1d c = Conv1d.builder(1, 1, 3).stride(1 << 30).padding(1 << 30).backend(backend()).build();
             Tensor x = ones(1, 1, 10)) {
            try (Tensor y = c.forward(x)) {
                assertEquals(Shape.of(1, 1, 3), y.shape());
                float b = c.bias().toArray()[0];
                assertArrayEquals(new float[] {b, b, b}, y.toArray(), 1e-6f);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("32-bit") || e.getMessage().contains("2^31"), e.getMessage());
            }
        }
    }

    @Test
    void extremePoolingArgumentsAreRejectedBeforeAnyKernel() {
        Backend be = backend();
        int max = Integer.MAX_VALUE;
        try (Tensor x = ones(1, 2, 10); Tensor x2 = ones(1, 1, 6, 6)) {
            rejects(() -> new MaxPool2d(PoolOptions.of(max).backend(be)).forward(x2).close(), "too small");
            rejects(() -> new MaxPool2d(PoolOptions.of(2).dilation(max).backend(be)).forward(x2).close(), "too small");
            rejects(() -> new AvgPool1d(PoolOptions.of(max).padding(max / 2).backend(be)).forward(x).close(), "32 bits");
            // a stride longer than the input: one window, as PyTorch
            try (MaxPool2d p = new MaxPool2d(PoolOptions.of(2).stride(max).backend(be)); Tensor y = p.forward(x2)) {
                assertEquals(Shape.of(1, 1, 1, 1), y.shape());
                assertEquals(1f, y.toArray()[0]);
            }
            try (AdaptiveAvgPool2d a = new AdaptiveAvgPool2d(be, 1 << 16, 1 << 16)) {
                rejects(() -> a.forward(x2).close(), "elements");
            }
        }
    }

    @Test
    void aClosedModuleSaysItWasClosed() {
        Conv2d c = Conv2d.builder(3, 4, 3).backend(backend()).build();
        c.close();
        try (Tensor x = ones(1, 3, 5, 5)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.forward(x));
            assertTrue(e.getMessage().contains("Conv2d was closed"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> c.backward(x, x));
            assertTrue(e.getMessage().contains("Conv2d was closed"), e.getMessage());
        }
        Sequential s = new Sequential(new Linear(3, 2, true, backend(), 0), new ReLU(backend()));
        s.close();
        try (Tensor x = ones(2, 3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.forward(x));
            assertTrue(e.getMessage().contains("was closed"), e.getMessage());
        }
    }

    @Test
    void conv1dPerDimensionMessagesCountOneValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv1d.builder(1, 1, 3, 3).backend(backend()).build());
        assertTrue(e.getMessage().contains("kernel_size must have 1 value, but got 2 [3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.builder(1, 1, 3, 3, 3).backend(backend()).build());
        assertTrue(e.getMessage().contains("kernel_size must have 1 or 2 values, but got 3"), e.getMessage());
    }
}
