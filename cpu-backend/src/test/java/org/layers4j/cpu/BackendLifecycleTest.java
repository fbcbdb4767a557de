package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.BackendProvider;
import org.layers4j.spi.ConvGeometry;

/** Discovery, configuration, kernel selection, thread pool and concurrent use of the CPU backend. */
class BackendLifecycleTest {

    @Test
    void providerIsFoundByServiceLoaderAsAlwaysAvailableCpu() {
        BackendProvider found = null;
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equals("cpu")) {
                found = p;
            }
        }
        assertTrue(found != null, "no provider named cpu");
        assertEquals(10, found.priority());
        assertTrue(found.availability().available());
    }

    @Test
    void threadsKeyIsHonoured() {
        try (CpuBackend b = (CpuBackend) new CpuBackendProvider().create(-1,
                Config.of(java.util.Map.of("layers4j.cpu.threads", "3"), java.util.Map.of(), java.util.Map.of()))) {
            assertEquals(3, b.threads());
        }
    }

    @Test
    void vectorKernelsAreChosenWhenTheModuleIsEnabled() {
        assertTrue(Kernels.vectorModulePresent(), "tests run with --add-modules jdk.incubator.vector");
        try (CpuBackend b = TestSupport.backend("auto", 1)) {
            assertTrue(b.kernelDescription().startsWith("Vector API"), b.kernelDescription());
        }
    }

    @Test
    void scalarFallbackIsChosenInAJvmWithoutTheVectorModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "-Xlog:class+load=info", "-cp", System.getProperty("java.class.path"),
                KernelProbe.class.getName()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("kernels=scalar fallback"), text);
        assertTrue(text.contains("org.layers4j.cpu.ScalarKernels"), "the class-load log is missing: " + text);
        assertFalse(text.contains("org.layers4j.cpu.VectorKernels"), "VectorKernels was loaded");
        assertFalse(text.contains("jdk.incubator.vector."), "a Vector API class was loaded");
        assertTrue(text.contains("forwardOk=true"), text);
    }

    @Test
    void closeStopsThePoolThreads() throws Exception {
        CpuBackend b = TestSupport.backend("vector", 3);
        ConvGeometry g = new ConvGeometry(2, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        try (Tensor x = b.allocate(Shape.of(2, 8, 16, 16)); Tensor w = b.allocate(Shape.of(8, 8, 3, 3));
             Tensor y = b.allocate(Shape.of(2, 8, 16, 16))) {
            b.convolution().forward(g, x, w, y);
        }
        String prefix = b.threadPrefix();
        assertTrue(poolThreadsAlive(prefix), "the convolution should have started pool threads");
        b.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && poolThreadsAlive(prefix)) {
            Thread.sleep(20);
        }
        assertFalse(poolThreadsAlive(prefix), "pool threads still alive after close");
    }

    private static boolean poolThreadsAlive(String prefix) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix) && t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void concurrentCallsFromManyThreadsGiveTheSameResultAsOneCall() throws Exception {
        ConvGeometry g = new ConvGeometry(2, 16, 20, 20, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] x = TestSupport.random(21, 2 * 16 * 20 * 20);
        float[] w = TestSupport.random(22, 24 * 16 * 9);
        try (CpuBackend b = TestSupport.backend("vector", 2)) {
            float[] expected;
            try (Tensor xt = b.upload(x, Shape.of(2, 16, 20, 20)); Tensor wt = b.upload(w, Shape.of(24, 16, 3, 3));
                 Tensor y = b.allocate(Shape.of(2, 24, 20, 20))) {
                b.convolution().forward(g, xt, wt, y);
                expected = y.toArray();
            }
            ExecutorService callers = Executors.newFixedThreadPool(8);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    results.add(callers.submit(() -> {
                        try (Tensor xt = b.upload(x, Shape.of(2, 16, 20, 20)); Tensor wt = b.upload(w, Shape.of(24, 16, 3, 3));
                             Tensor y = b.allocate(Shape.of(2, 24, 20, 20))) {
                            b.convolution().forward(g, xt, wt, y);
                            return y.toArray();
                        }
                    }));
                }
                for (Future<float[]> f : results) {
                    assertArrayEquals(expected, f.get(60, TimeUnit.SECONDS));
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void invalidKernelSettingIsRejectedWithTheKeyInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestSupport.backend("gpu", 1));
        assertTrue(e.getMessage().contains(Kernels.KERNELS_KEY), e.getMessage());
    }

    @Test
    void allocateAfterCloseOfASameSizedTensorReturnsZerosInFreshStorage() {
        try (CpuBackend b = TestSupport.backend("vector", 1)) {
            Shape s = Shape.of(4, 64, 100);
            float[] ones = new float[s.size()];
            java.util.Arrays.fill(ones, 1f);
            Tensor first = b.upload(ones, s);
            first.close();
            try (Tensor second = b.allocate(s); Tensor third = b.upload(ones, s)) {
                assertArrayEquals(new float[s.size()], second.toArray());
                assertArrayEquals(ones, third.toArray());
                assertArrayEquals(new float[s.size()], second.toArray(), "two live tensors share no memory");
            }
            assertThrows(IllegalStateException.class, first::toArray);
        }
    }

    @Test
    void aRecycledTensorUpdatedInPlaceStartsFromZeros() {
        try (CpuBackend b = TestSupport.backend("vector", 2)) {
            Shape s = Shape.of(2, 4, 80, 80);
            float[] junk = TestSupport.random(31, s.size());
            b.upload(junk, s).close();
            float[] bias = {1f, 2f, 3f, 4f};
            try (Tensor y = b.allocate(s); Tensor bt = b.upload(bias, Shape.of(4))) {
                b.convolution().biasAdd(y, bt);
                double[] expected = new double[s.size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = bias[(i / 6400) % 4];
                }
                TestSupport.assertClose(expected, y.toArray());
            }
        }
    }

    @Test
    void aRecycledTensorAsConvolutionOutputHoldsTheResult() {
        ConvGeometry g = new ConvGeometry(2, 8, 80, 80, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1);
        Shape xs = Shape.of(2, 8, 80, 80);
        Shape ys = Shape.of(2, 8, 40, 40);
        float[] x = TestSupport.random(32, xs.size());
        float[] w = TestSupport.random(33, 8 * 8 * 9);
        try (CpuBackend b = TestSupport.backend("vector", 2)) {
            // leaves a non-zero array of the output's size in the pool; the input has another size
            b.upload(TestSupport.random(34, ys.size()), ys).close();
            try (Tensor xt = b.upload(x, xs); Tensor wt = b.upload(w, Shape.of(8, 8, 3, 3)); Tensor y = b.allocate(ys)) {
                b.convolution().forward(g, xt, wt, y);
                TestSupport.assertClose(Reference.convForward(g, x, w), y.toArray());
            }
        }
    }

    @Test
    void uploadCopiesAndDownloadReturnsACopy() {
        try (CpuBackend b = TestSupport.backend("scalar", 1)) {
            float[] data = {1f, 2f, 3f};
            try (Tensor t = b.upload(data, Shape.of(3))) {
                data[0] = 42f;
                float[] back = t.toArray();
                assertArrayEquals(new float[] {1f, 2f, 3f}, back);
                back[1] = 42f;
                assertArrayEquals(new float[] {1f, 2f, 3f}, t.toArray());
            }
        }
    }
}
