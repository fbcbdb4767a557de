package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnPoolingDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PoolGeometry;

/**
 * Against the real cuDNN 9 library, no GPU needed: every descriptor the op families beyond convolution
 * build — pooling (for every pooling fixture of fixtures/layers, with cuDNN's own output-size arithmetic
 * against core's and against the routing rule of {@link CudaPoolingOps}), softmax and batch-norm tensor
 * descriptors (with {@code cudnnDeriveBNTensorDescriptor}), activation and op-tensor descriptors, the
 * strided permutation and GEMM-transpose views, and the GEMM-as-convolution descriptors for every Linear
 * fixture. Runs under {@code mvn -Pcudnn-descriptors}; elsewhere it is skipped with the reason.
 */
class RealCudnnOpsDescriptorTest {

    @BeforeEach
    void cudnn() {
        NativeLibraries.requireCudnn();
    }

    private static void destroy(cudnnTensorDescriptor... ds) {
        for (cudnnTensorDescriptor d : ds) {
            CudaFailure.cudnn(JCudnn.cudnnDestroyTensorDescriptor(d), "cudnnDestroyTensorDescriptor");
        }
    }

    /** dims and strides of a tensor descriptor, as cuDNN reports them. */
    private static TensorLayout read(cudnnTensorDescriptor d) {
        int[] type = new int[1];
        int[] nb = new int[1];
        int[] dims = new int[8];
        int[] strides = new int[8];
        CudaFailure.cudnn(JCudnn.cudnnGetTensorNdDescriptor(d, 8, type, nb, dims, strides), "cudnnGetTensorNdDescriptor");
        assertEquals(Descriptors.FLOAT, type[0]);
        return TensorLayout.strided(java.util.Arrays.copyOf(dims, nb[0]), java.util.Arrays.copyOf(strides, nb[0]));
    }

    @TestFactory
    Stream<DynamicTest> poolingDescriptorsOfEveryPoolingFixtureAndCudnnsOutputShape() {
        List<LayerFixtures.Fixture> pools = LayerFixtures.withOp("maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d");
        assertEquals(8, pools.size(), "the pooling fixtures of fixtures/layers");
        return pools.stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> checkPool(f)));
    }

    private static void checkPool(LayerFixtures.Fixture f) {
        PoolGeometry g = LayerFixtures.poolGeometry(f);
        int[] out = f.output();
        assertEquals(out[out.length - 1], g.outW(), "core's output width vs the fixture's");
        if (out.length == 4) {
            assertEquals(out[2], g.outH(), "core's output height vs the fixture's");
        }
        boolean max = f.op().startsWith("max");
        boolean viaCudnn = CudaPoolingOps.cudnnCanPool(g) && (max || g.divisorOverride() == 0);
        // the routing the fixtures exercise: the dilated ceil-mode max and the divisor override run on kernels
        assertEquals(!f.name().equals("maxpool2d_ceil_dilated") && !f.name().equals("avgpool2d_ceil_divisor"), viaCudnn,
                f.name() + " routed to " + (viaCudnn ? "cuDNN" : "the kernels"));
        if (g.dilationH() != 1 || g.dilationW() != 1) {
            return; // cuDNN's pooling descriptor has no dilation: nothing of cuDNN's to check
        }
        int[] modes = max ? new int[] {Descriptors.POOL_MAX_DETERMINISTIC, Descriptors.POOL_MAX}
                : new int[] {CudaPoolingOps.avgMode(g)};
        for (int mode : modes) {
            cudnnPoolingDescriptor pd = Descriptors.createPooling(CudaPoolingOps.pool(g, mode));
            cudnnTensorDescriptor xd = Descriptors.createTensor(CudaPoolingOps.inputLayout(g));
            try {
                int[] dims = Descriptors.poolingOutputDims(pd, xd);
                int[] cudnnRule = {g.n(), g.c(), CudaPoolingOps.cudnnOutSize(g.h(), g.kh(), g.padH(), g.strideH()),
                        CudaPoolingOps.cudnnOutSize(g.w(), g.kw(), g.padW(), g.strideW())};
                assertArrayEquals(cudnnRule, dims, "cuDNN's output shape vs the routing rule's");
                if (viaCudnn) {
                    assertArrayEquals(new int[] {g.n(), g.c(), g.outH(), g.outW()}, dims, "cuDNN's output shape vs core's");
                    cudnnTensorDescriptor yd = Descriptors.createTensor(CudaPoolingOps.outputLayout(g));
                    destroy(yd);
                } else {
                    assertFalse(java.util.Arrays.equals(new int[] {g.n(), g.c(), g.outH(), g.outW()}, dims)
                            && g.divisorOverride() == 0, "a case cuDNN could run went to the kernels");
                }
                int[] m = new int[1];
                int[] nan = new int[1];
                int[] nb = new int[1];
                int[] win = new int[2];
                int[] pad = new int[2];
                int[] stride = new int[2];
                CudaFailure.cudnn(JCudnn.cudnnGetPoolingNdDescriptor(pd, 2, m, nan, nb, win, pad, stride),
                        "cudnnGetPoolingNdDescriptor");
                assertEquals(mode, m[0]);
                assertEquals(Descriptors.PROPAGATE_NAN, nan[0]);
                assertArrayEquals(new int[] {g.kh(), g.kw()}, win);
                assertArrayEquals(new int[] {g.padH(), g.padW()}, pad);
                assertArrayEquals(new int[] {g.strideH(), g.strideW()}, stride);
            } finally {
                CudaFailure.cudnn(JCudnn.cudnnDestroyPoolingDescriptor(pd), "cudnnDestroyPoolingDescriptor");
                destroy(xd);
            }
        }
    }

    /** The routing rule's output size equals cuDNN's own on random windows, so no case is misrouted. */
    @Test
    void theRoutingRuleAgreesWithCudnnsPoolingArithmetic() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < 300; i++) {
            int k = 1 + rng.nextInt(5);
            int s = 1 + rng.nextInt(4);
            int p = rng.nextInt(k); // cuDNN requires pad < window
            int in = Math.max(1, k - 2 * p) + rng.nextInt(20);
            cudnnPoolingDescriptor pd = Descriptors.createPooling(new Descriptors.Pool(Descriptors.POOL_MAX, k, 1, p, 0, s, 1));
            cudnnTensorDescriptor xd = Descriptors.createTensor(TensorLayout.contiguous(2, 3, in, 1));
            try {
                int[] dims = Descriptors.poolingOutputDims(pd, xd);
                assertEquals(CudaPoolingOps.cudnnOutSize(in, k, p, s), dims[2], "in " + in + " k " + k + " s " + s + " p " + p);
                assertEquals(1, dims[3]);
            } finally {
                CudaFailure.cudnn(JCudnn.cudnnDestroyPoolingDescriptor(pd), "destroy");
                destroy(xd);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> softmaxDescriptorsOfEverySoftmaxFixture() {
        return LayerFixtures.withOp("softmax", "logsoftmax").stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            int[] in = f.input();
            int dim = Integer.parseInt(f.meta("dim").trim());
            dim = dim < 0 ? dim + in.length : dim;
            int outer = 1;
            int inner = 1;
            for (int i = 0; i < dim; i++) {
                outer *= in[i];
            }
            for (int i = dim + 1; i < in.length; i++) {
                inner *= in[i];
            }
            TensorLayout l = CudaActivationOps.softmaxLayout(outer, in[dim], inner);
            cudnnTensorDescriptor d = Descriptors.createTensor(l);
            try {
                assertEquals(l, read(d));
            } finally {
                destroy(d);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> batchNormParameterDescriptorIsWhatCudnnDerivesForEveryBatchNormFixture() {
        return LayerFixtures.withOp("batchnorm1d", "batchnorm2d").stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            int[] in = f.input();
            long s = 1;
            for (int i = 2; i < in.length; i++) {
                s *= in[i];
            }
            TensorLayout x = TensorLayout.contiguous(in[0], in[1], (int) s, 1);
            cudnnTensorDescriptor xd = Descriptors.createTensor(x);
            cudnnTensorDescriptor derived = new cudnnTensorDescriptor();
            CudaFailure.cudnn(JCudnn.cudnnCreateTensorDescriptor(derived), "cudnnCreateTensorDescriptor");
            try {
                CudaFailure.cudnn(JCudnn.cudnnDeriveBNTensorDescriptor(derived, xd, Descriptors.BN_SPATIAL),
                        "cudnnDeriveBNTensorDescriptor");
                assertEquals(CudaNormalizationOps.paramLayout(in[1]), read(derived));
                assertEquals(x, read(xd));
            } finally {
                destroy(xd, derived);
            }
        }));
    }

    @Test
    void activationAndOpTensorDescriptorsAreWhatTheBackendAsksFor() {
        int[][] activations = {{Descriptors.RELU, Descriptors.PROPAGATE_NAN}, {Descriptors.SIGMOID, Descriptors.PROPAGATE_NAN},
                {Descriptors.TANH, Descriptors.PROPAGATE_NAN}};
        for (int[] a : activations) {
            cudnnActivationDescriptor d = Descriptors.createActivation(a[0], a[1]);
            int[] mode = new int[1];
            int[] nan = new int[1];
            double[] coef = new double[1];
            CudaFailure.cudnn(JCudnn.cudnnGetActivationDescriptor(d, mode, nan, coef), "cudnnGetActivationDescriptor");
            assertEquals(a[0], mode[0]);
            assertEquals(a[1], nan[0]);
            CudaFailure.cudnn(JCudnn.cudnnDestroyActivationDescriptor(d), "destroy");
        }
        int[][] ops = {{Descriptors.OP_TENSOR_ADD, Descriptors.PROPAGATE_NAN}, {Descriptors.OP_TENSOR_MUL, Descriptors.PROPAGATE_NAN},
                {Descriptors.OP_TENSOR_MIN, Descriptors.NOT_PROPAGATE_NAN}};
        for (int[] o : ops) {
            cudnnOpTensorDescriptor d = Descriptors.createOpTensor(o[0], o[1]);
            int[] op = new int[1];
            int[] type = new int[1];
            int[] nan = new int[1];
            CudaFailure.cudnn(JCudnn.cudnnGetOpTensorDescriptor(d, op, type, nan), "cudnnGetOpTensorDescriptor");
            assertEquals(o[0], op[0]);
            assertEquals(Descriptors.FLOAT, type[0]);
            assertEquals(o[1], nan[0]);
            CudaFailure.cudnn(JCudnn.cudnnDestroyOpTensorDescriptor(d), "destroy");
        }
    }

    @Test
    void permutationViewsUpToEightDimsAreAcceptedByCudnn() {
        List<int[][]> cases = new ArrayList<>();
        cases.add(new int[][] {{2, 3, 4, 5}, {0, 2, 3, 1}});
        cases.add(new int[][] {{2, 3, 4, 5, 6}, {4, 0, 2, 1, 3}});
        cases.add(new int[][] {{2, 3, 2, 3, 2, 3, 2, 3}, {7, 6, 5, 4, 3, 2, 1, 0}});
        cases.add(new int[][] {{5, 7}, {1, 0}});
        for (int[][] c : cases) {
            CudaLayoutOps.PermutePlan p = CudaLayoutOps.planPermute(c[0], c[1]);
            cudnnTensorDescriptor s = Descriptors.createTensor(p.src());
            cudnnTensorDescriptor d = Descriptors.createTensor(p.dst());
            try {
                assertEquals(p.src(), read(s));
                assertEquals(p.dst(), read(d));
            } finally {
                destroy(s, d);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> gemmAsAOneByOneConvolutionForEveryLinearFixture() {
        return LayerFixtures.withOp("linear").stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            int[] in = f.input();
            int k = in[in.length - 1];
            int m = 1;
            for (int i = 0; i < in.length - 1; i++) {
                m *= in[i];
            }
            int n = Integer.parseInt(f.meta("out_features").trim());
            // forward (x [m, k] * W^T), backward data (dy [m, n] * W [n, k]) and weight (dy^T [n, m] * x [m, k])
            for (int[] mnk : new int[][] {{m, n, k}, {m, k, n}, {n, k, m}}) {
                ConvGeometry g = CudaBlasOps.asConvolution(mnk[0], mnk[1], mnk[2]);
                ConvLayouts l = ConvLayouts.of(g, CudaSettings.MathTypes.FMA);
                cudnnTensorDescriptor x = Descriptors.createTensor(l.x());
                cudnnFilterDescriptor w = Descriptors.createFilter(l.filterDims());
                cudnnConvolutionDescriptor conv = Descriptors.createConvolution(l);
                cudnnTensorDescriptor ta = Descriptors.createTensor(CudaBlasOps.transposedView(mnk[0], mnk[2]));
                cudnnTensorDescriptor tb = Descriptors.createTensor(CudaBlasOps.transposedView(mnk[1], mnk[2]));
                try {
                    assertArrayEquals(new int[] {mnk[0], mnk[1], 1, 1}, Descriptors.outputDims(conv, x, w));
                } finally {
                    CudaFailure.cudnn(JCudnn.cudnnDestroyConvolutionDescriptor(conv), "destroy");
                    CudaFailure.cudnn(JCudnn.cudnnDestroyFilterDescriptor(w), "destroy");
                    destroy(x, ta, tb);
                }
            }
        }));
    }

    @Test
    void theBackendsDescriptorSetCreatesAndFreesEveryNewDescriptor() {
        try (Descriptors d = new Descriptors(CudaSettings.MathTypes.FMA)) {
            for (LayerFixtures.Fixture f : LayerFixtures.withOp("maxpool2d", "avgpool2d")) {
                PoolGeometry g = LayerFixtures.poolGeometry(f);
                if (g.dilationH() == 1 && g.dilationW() == 1) {
                    cudnnPoolingDescriptor a = d.pooling(CudaPoolingOps.pool(g, Descriptors.POOL_MAX_DETERMINISTIC));
                    assertTrue(a == d.pooling(CudaPoolingOps.pool(g, Descriptors.POOL_MAX_DETERMINISTIC)), "cached");
                }
            }
            assertTrue(d.sigmoid() != null && d.tanh() != null && d.add() != null && d.mul() != null);
        }
    }
}
