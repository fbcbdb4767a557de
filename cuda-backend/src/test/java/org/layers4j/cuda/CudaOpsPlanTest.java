package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The host-side plans of the new ops, no GPU or cuDNN needed: the permutation's strided views
 * (interpreted in Java, as cudnnTransformTensor would copy them) equal a direct permutation; the
 * scatter-add's row groups; and every kernel the Java code launches is in the committed PTX, which is
 * current with kernels.cu.
 */
class CudaOpsPlanTest {

    private static float[] viaPlan(CudaLayoutOps.PermutePlan p, float[] x) {
        int[] d = p.src().dims();
        int[] s = p.src().strides();
        int[] t = p.dst().strides();
        float[] y = new float[x.length];
        int[] idx = new int[d.length];
        for (long e = 0; e < p.src().elements(); e++) {
            long src = 0;
            long dst = 0;
            for (int i = 0; i < d.length; i++) {
                src += (long) idx[i] * s[i];
                dst += (long) idx[i] * t[i];
            }
            y[(int) dst] = x[(int) src];
            for (int i = d.length - 1; i >= 0 && ++idx[i] == d[i]; i--) {
                idx[i] = 0;
            }
        }
        return y;
    }

    private static float[] direct(int[] shape, int[] dims, float[] x) {
        int r = shape.length;
        int[] xs = new int[r];
        int acc = 1;
        for (int i = r - 1; i >= 0; i--) {
            xs[i] = acc;
            acc *= shape[i];
        }
        int[] ys = new int[r];
        for (int i = 0; i < r; i++) {
            ys[i] = shape[dims[i]];
        }
        float[] y = new float[x.length];
        int[] idx = new int[r];
        for (int e = 0; e < x.length; e++) {
            int src = 0;
            for (int i = 0; i < r; i++) {
                src += idx[i] * xs[dims[i]];
            }
            y[e] = x[src];
            for (int i = r - 1; i >= 0 && ++idx[i] == ys[i]; i--) {
                idx[i] = 0;
            }
        }
        return y;
    }

    @Test
    void permutePlansEqualADirectPermutation() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 400; trial++) {
            int r = 1 + rng.nextInt(9);
            int[] shape = new int[r];
            int size = 1;
            for (int i = 0; i < r; i++) {
                shape[i] = 1 + rng.nextInt(r > 6 ? 2 : 4);
                size *= shape[i];
            }
            List<Integer> perm = new ArrayList<>();
            for (int i = 0; i < r; i++) {
                perm.add(i);
            }
            java.util.Collections.shuffle(perm, new java.util.Random(trial));
            int[] dims = perm.stream().mapToInt(Integer::intValue).toArray();
            float[] x = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = i;
            }
            CudaLayoutOps.PermutePlan p;
            try {
                p = CudaLayoutOps.planPermute(shape, dims);
            } catch (UnsupportedOperationException e) {
                assertTrue(r == 9, "only 9 non-mergeable axes may be refused: " + e.getMessage());
                continue;
            }
            assertTrue(p.src().rank() >= 4 && p.src().rank() <= 8);
            assertArrayEquals(direct(shape, dims, x), viaPlan(p, x), java.util.Arrays.toString(shape) + " "
                    + java.util.Arrays.toString(dims));
        }
    }

    @Test
    void nineAxesThatCannotMergeAreRefusedNamingTheLimit() {
        int[] shape = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] dims = {8, 7, 6, 5, 4, 3, 2, 1, 0};
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> CudaLayoutOps.planPermute(shape, dims));
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
    }

    @Test
    void rowGroupsKeepIndexOrderAndSkipThePaddingIndex() {
        CudaLayoutOps.RowGroups g = CudaLayoutOps.RowGroups.of(new long[] {3, 0, 3, 1, 0, 3}, 0);
        assertArrayEquals(new int[] {3, 1}, g.rows());
        assertArrayEquals(new int[] {0, 3, 4}, g.start());
        assertArrayEquals(new int[] {0, 2, 5, 3}, g.positions());
        CudaLayoutOps.RowGroups none = CudaLayoutOps.RowGroups.of(new long[] {2, 2}, 2);
        assertEquals(0, none.rows().length);
    }

    @Test
    void everyLaunchedKernelIsInTheCommittedPtxWhichMatchesTheSource() throws IOException {
        String ptx = new String(Kernels.ptx(), StandardCharsets.US_ASCII);
        assertTrue(ptx.contains(".version 9.0"), "PTX ISA 9.0 from nvcc 13 (the README's driver requirement)");
        Path src = Path.of("src/main/java/org/layers4j/cuda");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(src),
                "the module's sources are not here (run from cuda-backend/, e.g. by Maven; the GPU bundle has none)");
        Pattern launch = Pattern.compile("launch\\(ctx, \"([a-z_]+)\"");
        Pattern kernelArg = Pattern.compile("\"([a-z_]+_(?:fwd|bwd)|gather_rows|scatter_add_rows)\"");
        List<String> used = new ArrayList<>();
        try (var files = Files.list(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                for (Pattern p : new Pattern[] {launch, kernelArg}) {
                    Matcher m = p.matcher(text);
                    while (m.find()) {
                        used.add(m.group(1));
                    }
                }
            }
        }
        assertTrue(used.size() >= 12, used.toString());
        String cu = Files.readString(Path.of("src/main/cuda/kernels.cu"));
        for (String k : used) {
            assertTrue(ptx.contains(".visible .entry " + k + "("), k + " is not in kernels.ptx: run src/main/cuda/build-ptx.sh");
            assertTrue(cu.contains("__global__ void " + k + "("), k + " is not in kernels.cu");
        }
    }
}
