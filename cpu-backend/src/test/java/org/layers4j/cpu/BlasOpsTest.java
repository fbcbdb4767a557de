package org.layers4j.cpu;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/** GEMM in all four transpose cases, with and without accumulation, against a double triple loop. */
class BlasOpsTest extends OpsTestBase {

    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1}, {1, 37, 5}, {29, 1, 13}, {7, 9, 1}, {8, 32, 16}, {67, 45, 300}, {130, 97, 257},
            {300, 520, 40}, {5, 1100, 70}, {1, 600, 600}, {260, 3, 520}};
        return families().flatMap(f -> Stream.of(sizes).flatMap(s -> Stream.of(
                Arguments.of(f, s, false, false, false), Arguments.of(f, s, true, false, false),
                Arguments.of(f, s, false, true, true), Arguments.of(f, s, true, true, true),
                Arguments.of(f, s, false, false, true), Arguments.of(f, s, true, true, false))));
    }

    @ParameterizedTest(name = "{0} m,n,k={1} transA={2} transB={3} accumulate={4}")
    @MethodSource("cases")
    void gemmMatchesTripleLoop(Family f, int[] s, boolean ta, boolean tb, boolean acc) {
        CpuBackend b = backend(f);
        int m = s[0];
        int n = s[1];
        int k = s[2];
        float[] a = TestSupport.random(1 + m, m * k);
        float[] bb = TestSupport.random(2 + n, k * n);
        float[] c0 = TestSupport.random(3 + k, m * n);
        double[] e = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = acc ? c0[i * n + j] : 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p];
                    double bv = tb ? bb[j * k + p] : bb[p * n + j];
                    sum += av * bv;
                }
                e[i * n + j] = sum;
            }
        }
        try (Tensor at = b.upload(a, ta ? Shape.of(k, m) : Shape.of(m, k));
             Tensor bt = b.upload(bb, tb ? Shape.of(n, k) : Shape.of(k, n)); Tensor ct = b.upload(c0, Shape.of(m, n))) {
            b.blas().gemm(ta, tb, m, n, k, at, bt, ct, acc);
            TestSupport.assertClose(e, ct.toArray());
        }
    }
}
