package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.Shape;
import org.layers4j.spi.Availability;
import org.layers4j.spi.ConvGeometry;

/**
 * Against the real cuDNN 9 library, with no GPU needed: every descriptor the backend builds for
 * every fixture case (input, filter, output, bias, convolution with group count and math type, and
 * every strided view of the padding programs) is accepted, and cuDNN's own output shape equals
 * core's. Runs under {@code mvn -Pcudnn-descriptors}; elsewhere it is skipped with the reason.
 */
class RealCudnnDescriptorTest {

    @BeforeEach
    void cudnn() {
        NativeLibraries.requireCudnn();
    }

    @TestFactory
    Stream<DynamicTest> cudnnAcceptsEveryDescriptorAndAgreesOnTheOutputShape() {
        return FixtureCases.convolutions().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(FixtureCases.Case c) {
        ConvGeometry g = c.plan().geometry();
        for (int mathType : new int[] {CudaSettings.MathTypes.FMA, CudaSettings.MathTypes.TENSOR_OP}) {
            ConvLayouts l = ConvLayouts.of(g, mathType);
            cudnnTensorDescriptor x = Descriptors.createTensor(l.x());
            cudnnTensorDescriptor y = Descriptors.createTensor(l.y());
            cudnnTensorDescriptor bias = Descriptors.createTensor(l.bias());
            cudnnFilterDescriptor w = Descriptors.createFilter(l.filterDims());
            cudnnConvolutionDescriptor conv = Descriptors.createConvolution(l);
            try {
                Shape out = c.plan().output4d();
                assertArrayEquals(out.dims(), Descriptors.outputDims(conv, x, w), "cuDNN's output shape vs core's");
                int[] groups = new int[1];
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionGroupCount(conv, groups), "cudnnGetConvolutionGroupCount");
                assertEquals(g.groups(), groups[0]);
                int[] math = new int[1];
                CudaFailure.cudnn(JCudnn.cudnnGetConvolutionMathType(conv, math), "cudnnGetConvolutionMathType");
                assertEquals(mathType, math[0]);
            } finally {
                CudaFailure.cudnn(JCudnn.cudnnDestroyConvolutionDescriptor(conv), "destroy");
                CudaFailure.cudnn(JCudnn.cudnnDestroyFilterDescriptor(w), "destroy");
                for (cudnnTensorDescriptor t : List.of(x, y, bias)) {
                    CudaFailure.cudnn(JCudnn.cudnnDestroyTensorDescriptor(t), "destroy");
                }
            }
        }
        if (c.plan().padding() != null) {
            Shape s = c.plan().input4d();
            Set<TensorLayout> views = new LinkedHashSet<>();
            for (PadProgram p : List.of(PadProgram.forward(c.plan().padding(), s.dim(0), s.dim(1), s.dim(2), s.dim(3)),
                    PadProgram.backward(c.plan().padding(), s.dim(0), s.dim(1), s.dim(2), s.dim(3)))) {
                for (PadProgram.Op op : p.ops()) {
                    views.add(op.dst().layout());
                    if (op.src() != null) {
                        views.add(op.src().layout());
                    }
                }
            }
            assertFalse(views.isEmpty());
            for (TensorLayout v : views) {
                CudaFailure.cudnn(JCudnn.cudnnDestroyTensorDescriptor(Descriptors.createTensor(v)), "destroy " + v);
            }
        }
    }

    @Test
    void theDescriptorCacheCreatesEachDescriptorOnceAndFreesThemAll() {
        List<FixtureCases.Case> cases = FixtureCases.convolutions();
        try (Descriptors d = new Descriptors(CudaSettings.MathTypes.FMA)) {
            List<Descriptors.Conv> first = new ArrayList<>();
            for (FixtureCases.Case c : cases) {
                first.add(d.conv(c.plan().geometry()));
            }
            int tensors = d.tensorCount();
            for (int i = 0; i < cases.size(); i++) {
                Descriptors.Conv again = d.conv(cases.get(i).plan().geometry());
                assertSame(first.get(i), again, "one descriptor set per geometry, reused");
                assertSame(first.get(i).x(), d.tensor(first.get(i).layouts().x()));
            }
            assertEquals(tensors, d.tensorCount(), "no tensor descriptor created twice");
            assertEquals(cases.stream().map(c -> c.plan().geometry()).distinct().count(), d.convCount());
            assertTrue(d.relu() != null);
        }
    }

    @Test
    void cudnnRejectsWhatCoreNeverSendsWithItsOwnMessage() {
        // a filter with a zero dimension is invalid; the failure must carry cudnnGetErrorString's text
        CudaFailure e = assertThrows(CudaFailure.class, () -> Descriptors.createFilter(new int[] {0, 1, 1, 1}));
        assertTrue(e.getMessage().contains("CUDNN_STATUS_"), e.getMessage());
    }

    @Test
    void withRealCudnnButNoGpuTheProviderSaysWhyAndReportsTheCudnnVersion() {
        Availability a = new CudaBackendProvider().availability();
        assumeFalse(a.available(), "this machine has a usable GPU; the no-GPU path cannot be exercised here");
        assertTrue(a.details().getOrDefault("cudnn", "").startsWith("9."), a.details().toString());
        assertFalse(a.reason().contains("libcudnn"), "cuDNN is loaded, so it is not the reason: " + a.reason());
        assertTrue(a.reason().contains("libcuda.so.1 not found") || a.reason().contains("no CUDA device")
                || a.reason().contains("cuInit failed") || a.reason().contains("CUDA 12 runtime"), a.reason());
    }
}
