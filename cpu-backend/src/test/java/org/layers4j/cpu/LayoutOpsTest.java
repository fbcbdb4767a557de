package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/** Permutations of ranks 1 to 6, Embedding's gather and scatter-add (padding_idx), and element-wise arithmetic. */
class LayoutOpsTest extends OpsTestBase {

    static Stream<Arguments> permutations() {
        Random r = new Random(42);
        List<Arguments> list = new ArrayList<>();
        for (Family f : Family.values()) {
            for (int rank = 1; rank <= 6; rank++) {
                for (int rep = 0; rep < 4; rep++) {
                    int[] dims = new int[rank];
                    for (int i = 0; i < rank; i++) {
                        dims[i] = 1 + r.nextInt(rank <= 2 ? 300 : rank <= 3 ? 40 : 7);
                    }
                    List<Integer> perm = new ArrayList<>();
                    for (int i = 0; i < rank; i++) {
                        perm.add(i);
                    }
                    Collections.shuffle(perm, r);
                    list.add(Arguments.of(f, dims, perm.stream().mapToInt(Integer::intValue).toArray()));
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} dims {1} perm {2}")
    @MethodSource("permutations")
    void permuteMatchesIndexArithmetic(Family f, int[] dims, int[] perm) {
        CpuBackend b = backend(f);
        int rank = dims.length;
        Shape xs = Shape.of(dims);
        int[] yDims = new int[rank];
        for (int i = 0; i < rank; i++) {
            yDims[i] = dims[perm[i]];
        }
        float[] x = TestSupport.random(rank, xs.size());
        double[] e = new double[xs.size()];
        int[] idx = new int[rank];
        for (int lin = 0; lin < xs.size(); lin++) {
            int rem = lin;
            for (int a = rank - 1; a >= 0; a--) {
                idx[a] = rem % yDims[a];
                rem /= yDims[a];
            }
            int src = 0;
            int[] xIdx = new int[rank];
            for (int a = 0; a < rank; a++) {
                xIdx[perm[a]] = idx[a];
            }
            for (int a = 0; a < rank; a++) {
                src = src * dims[a] + xIdx[a];
            }
            e[lin] = x[src];
        }
        try (Tensor xt = b.upload(x, xs); Tensor y = b.allocate(Shape.of(yDims))) {
            b.layout().permute(xt, perm, y);
            TestSupport.assertClose(e, y.toArray());
        }
    }

    static Stream<Arguments> embeddings() {
        return families().flatMap(f -> Stream.of(new int[] {10, 3, 7}, new int[] {50, 40, 300}, new int[] {1, 1, 5},
                new int[] {2000, 700, 64}).map(s -> Arguments.of(f, s)));
    }

    @ParameterizedTest(name = "{0} v,e,m={1}")
    @MethodSource("embeddings")
    void gatherAndScatterAddRowsWithPaddingIndex(Family f, int[] s) {
        CpuBackend b = backend(f);
        int v = s[0];
        int e = s[1];
        int m = s[2];
        Random r = new Random(v + e + m);
        long[] idx = new long[m];
        for (int i = 0; i < m; i++) {
            idx[i] = r.nextInt(Math.min(v, 5) == v ? v : (r.nextBoolean() ? 5 : v)); // many repeats
        }
        float[] table = TestSupport.random(1, v * e);
        float[] dOut = TestSupport.random(2, m * e);
        double[] gathered = new double[m * e];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < e; j++) {
                gathered[i * e + j] = table[(int) idx[i] * e + j];
            }
        }
        try (Tensor it = b.upload(idx, Shape.of(m)); Tensor tt = b.upload(table, Shape.of(v, e));
             Tensor out = b.allocate(Shape.of(m, e)); Tensor go = b.upload(dOut, Shape.of(m, e));
             Tensor dt = b.upload(TestSupport.random(3, v * e), Shape.of(v, e))) {
            assertArrayEquals(idx, it.toLongArray());
            b.layout().gatherRows(it, tt, out);
            TestSupport.assertClose(gathered, out.toArray());
            for (long skip : new long[] {-1, idx[0]}) {
                double[] grad = new double[v * e];
                for (int i = 0; i < m; i++) {
                    if (idx[i] != skip) {
                        for (int j = 0; j < e; j++) {
                            grad[(int) idx[i] * e + j] += dOut[i * e + j];
                        }
                    }
                }
                b.layout().scatterAddRows(it, go, dt, skip);
                TestSupport.assertClose(grad, dt.toArray());
            }
        }
    }

    static Stream<Arguments> sizes() {
        return families().flatMap(f -> Stream.of(1, 17, 1000, (1 << 16) * 3 + 9).map(n -> Arguments.of(f, n)));
    }

    @ParameterizedTest(name = "{0} size {1}")
    @MethodSource("sizes")
    void addAccumulateMultiplyAndCopy(Family f, int size) {
        CpuBackend b = backend(f);
        float[] a = TestSupport.random(5, size);
        float[] c = TestSupport.random(6, size);
        double[] sum = new double[size];
        double[] prod = new double[size];
        for (int i = 0; i < size; i++) {
            sum[i] = (double) a[i] + c[i];
            prod[i] = (double) a[i] * c[i];
        }
        long[] longs = new long[size];
        for (int i = 0; i < size; i++) {
            longs[i] = (long) i * 1_000_003L - (1L << 40);
        }
        Shape s = Shape.of(size);
        try (Tensor at = b.upload(a, s); Tensor ct = b.upload(c, s); Tensor out = b.allocate(s);
             Tensor la = b.upload(longs, s); Tensor lb = b.allocate(s, DType.INT64)) {
            b.elementwise().add(at, ct, out);
            TestSupport.assertClose(sum, out.toArray());
            b.elementwise().multiply(at, ct, out);
            TestSupport.assertClose(prod, out.toArray());
            b.elementwise().copy(at, out);
            assertArrayEquals(a, out.toArray());
            b.elementwise().accumulate(out, ct);
            TestSupport.assertClose(sum, out.toArray());
            b.elementwise().copy(la, lb);
            assertArrayEquals(longs, lb.toLongArray());
        }
    }
}
