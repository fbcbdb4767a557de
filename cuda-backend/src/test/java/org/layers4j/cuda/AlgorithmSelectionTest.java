package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.layers4j.cuda.AlgoKey.Direction;
import org.layers4j.spi.ConvGeometry;

/** The algorithm cache key, the filtering of cuDNN's ranking, and the fallback when memory runs out. */
class AlgorithmSelectionTest {
    private static final ConvGeometry G = new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2);

    private static AlgoKey key(ConvGeometry g) {
        return new AlgoKey(0, Direction.FORWARD, g, CudaSettings.MathTypes.FMA, false, 1 << 20, false);
    }

    @Test
    void equalParametersGiveEqualKeysAndEveryParameterCounts() {
        AlgoKey base = key(G);
        assertEquals(base, key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2)));
        assertEquals(base.hashCode(), key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2)).hashCode());
        List<AlgoKey> variants = List.of(
                new AlgoKey(1, Direction.FORWARD, G, CudaSettings.MathTypes.FMA, false, 1 << 20, false),
                new AlgoKey(0, Direction.BACKWARD_DATA, G, CudaSettings.MathTypes.FMA, false, 1 << 20, false),
                new AlgoKey(0, Direction.BACKWARD_FILTER, G, CudaSettings.MathTypes.FMA, false, 1 << 20, false),
                new AlgoKey(0, Direction.FORWARD, G, CudaSettings.MathTypes.TENSOR_OP, false, 1 << 20, false),
                new AlgoKey(0, Direction.FORWARD, G, CudaSettings.MathTypes.FMA, true, 1 << 20, false),
                new AlgoKey(0, Direction.FORWARD, G, CudaSettings.MathTypes.FMA, false, 1 << 10, false),
                new AlgoKey(0, Direction.FORWARD, G, CudaSettings.MathTypes.FMA, false, 1 << 20, true),
                key(new ConvGeometry(3, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2)), // batch
                key(new ConvGeometry(2, 8, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2)), // channels
                key(new ConvGeometry(2, 4, 9, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2)), // height
                key(new ConvGeometry(2, 4, 8, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2)), // width
                key(new ConvGeometry(2, 4, 8, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 2)), // filters
                key(new ConvGeometry(2, 4, 8, 8, 6, 1, 3, 2, 2, 1, 1, 1, 1, 2)), // kernel h
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 1, 2, 2, 1, 1, 1, 1, 2)), // kernel w
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 1, 2, 1, 1, 1, 1, 2)), // stride h
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 1, 1, 1, 1, 1, 2)), // stride w
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 0, 1, 1, 1, 2)), // pad h
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 0, 1, 1, 2)), // pad w
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 2, 1, 2)), // dilation h
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 2, 2)), // dilation w
                key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1))); // groups
        Set<AlgoKey> all = new HashSet<>(variants);
        all.add(base);
        assertEquals(variants.size() + 1, all.size(), "every parameter must change the key");
        Map<AlgoKey, String> cache = new HashMap<>();
        cache.put(base, "ranking");
        assertEquals("ranking", cache.get(key(new ConvGeometry(2, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2))));
        variants.forEach(v -> assertNotEquals(base, v, v::toString));
    }

    @Test
    void usableKeepsCudnnsOrderAndDropsFailedOverLimitNonDeterministicAndTensorOpEntries() {
        List<AlgoChoice> ranked = List.of(
                new AlgoChoice(6, 0, -1, 4096, false, CudaSettings.MathTypes.FMA),
                new AlgoChoice(1, 0, -1, 64, true, CudaSettings.MathTypes.TENSOR_OP),
                new AlgoChoice(2, 3000, -1, 0, true, CudaSettings.MathTypes.FMA),
                new AlgoChoice(1, 0, -1, 64, true, CudaSettings.MathTypes.FMA),
                new AlgoChoice(7, 0, -1, 1 << 30, true, CudaSettings.MathTypes.FMA),
                new AlgoChoice(0, 0, -1, 0, true, CudaSettings.MathTypes.DEFAULT),
                new AlgoChoice(1, 0, -1, 0, true, CudaSettings.MathTypes.FMA));
        assertEquals(List.of(6, 1, 0), algos(AlgoChoice.usable(ranked, false, false, 1 << 20)));
        assertEquals(List.of(1, 0), algos(AlgoChoice.usable(ranked, true, false, 1 << 20)));
        assertEquals(List.of(6, 1, 7, 0), algos(AlgoChoice.usable(ranked, false, true, Long.MAX_VALUE)));
        assertEquals(List.of(0, 1), algos(AlgoChoice.usable(ranked, true, false, 0)));
    }

    private static List<Integer> algos(List<AlgoChoice> choices) {
        List<Integer> out = new ArrayList<>();
        choices.forEach(c -> out.add(c.algo()));
        return out;
    }

    @Test
    void outOfMemoryMovesToTheNextAlgorithmAndOtherErrorsStop() {
        List<AlgoChoice> ranked = List.of(new AlgoChoice(5, 0, -1, 1 << 20, true, 3),
                new AlgoChoice(4, 0, -1, 1 << 10, true, 3), new AlgoChoice(0, 0, -1, 0, true, 3));
        List<Integer> tried = new ArrayList<>();
        AlgoChoice ran = AlgoRunner.runFirstFitting("test", ranked, 1 << 20, c -> {
            tried.add(c.algo());
            if (c.algo() == 5) {
                throw new CudaFailure("CUDA", CudaFailure.CUDA_ERROR_MEMORY_ALLOCATION, "cudaMalloc failed");
            }
            if (c.algo() == 4) {
                throw new CudaFailure("cuDNN", CudaFailure.CUDNN9_DEVICE_ALLOCATION_FAILED, "device allocation failed");
            }
        });
        assertSame(ranked.get(2), ran);
        assertEquals(List.of(5, 4, 0), tried);

        CudaFailure bad = assertThrows(CudaFailure.class, () -> AlgoRunner.runFirstFitting("test", ranked, 1 << 20,
                c -> {
                    throw new CudaFailure("cuDNN", 2000, "CUDNN_STATUS_BAD_PARAM");
                }));
        assertEquals(2000, bad.status());
    }

    @Test
    void whenNothingFitsTheErrorNamesEveryAttemptAndTheLimit() {
        List<AlgoChoice> ranked = List.of(new AlgoChoice(5, 0, -1, 100, true, 3), new AlgoChoice(0, 0, -1, 0, true, 3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> AlgoRunner.runFirstFitting(
                "forward convolution of G", ranked, 100, c -> {
                    throw CudaFailure.overWorkspaceLimit("algorithm " + c.algo(), 200, 100);
                }));
        assertTrue(e.getMessage().contains("out of device memory for forward convolution of G"), e.getMessage());
        assertTrue(e.getMessage().contains("algorithm 5") && e.getMessage().contains("algorithm 0"), e.getMessage());
        assertTrue(e.getMessage().contains(CudaSettings.WORKSPACE_LIMIT + "=100"), e.getMessage());

        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> AlgoRunner.runFirstFitting("backward filter", List.of(), 0, c -> { }));
        assertTrue(none.getMessage().contains("no cuDNN algorithm for backward filter"), none.getMessage());
    }

    @Test
    void settingsAreReadFromConfigWithStrictFp32ByDefault() {
        CudaSettings d = CudaSettings.from(org.layers4j.config.Config.of(Map.of(), Map.of(), Map.of()));
        assertEquals(new CudaSettings(false, false, false, CudaSettings.DEFAULT_WORKSPACE_LIMIT), d);
        assertEquals(CudaSettings.MathTypes.FMA, d.mathType());
        CudaSettings s = CudaSettings.from(org.layers4j.config.Config.of(Map.of(CudaSettings.TF32, "true",
                CudaSettings.BENCHMARK, "true"), Map.of("LAYERS4J_CUDA_DETERMINISTIC", "true"),
                Map.of(CudaSettings.WORKSPACE_LIMIT, "4096")));
        assertEquals(new CudaSettings(true, true, true, 4096), s);
        assertEquals(CudaSettings.MathTypes.TENSOR_OP, s.mathType());
        assertThrows(IllegalArgumentException.class, () -> CudaSettings.from(org.layers4j.config.Config.of(
                Map.of(CudaSettings.WORKSPACE_LIMIT, "-1"), Map.of(), Map.of())));
    }
}
