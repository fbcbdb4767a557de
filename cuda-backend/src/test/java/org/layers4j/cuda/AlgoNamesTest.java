package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layers4j.cuda.AlgoKey.Direction;

/** The names in the backend's DEBUG lines are cuDNN's own, per direction; no native library needed. */
class AlgoNamesTest {

    @Test
    void algorithmsAreNamedPerDirection() {
        assertEquals("CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM", AlgoNames.algorithm(Direction.FORWARD, 1));
        assertEquals("CUDNN_CONVOLUTION_BWD_DATA_ALGO_1", AlgoNames.algorithm(Direction.BACKWARD_DATA, 1));
        assertEquals("CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1", AlgoNames.algorithm(Direction.BACKWARD_FILTER, 1));
        assertEquals("CUDNN_FMA_MATH", AlgoNames.mathType(CudaSettings.MathTypes.FMA));
        assertEquals("CUDNN_TENSOR_OP_MATH", AlgoNames.mathType(new CudaSettings(false, false, true, 0).mathType()));
    }

    @Test
    void rankingsAreDescribedWithWorkspaceTimeAndMath() {
        AlgoChoice heuristic = new AlgoChoice(0, 0, -1, 0, true, CudaSettings.MathTypes.FMA);
        AlgoChoice timed = new AlgoChoice(6, 0, 0.25f, 4096, false, CudaSettings.MathTypes.TENSOR_OP);
        assertEquals("[CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM (workspace 0 B, deterministic, CUDNN_FMA_MATH), "
                        + "CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD (workspace 4096 B, 0.250 ms, non-deterministic, "
                        + "CUDNN_TENSOR_OP_MATH)]",
                AlgoNames.describe(Direction.FORWARD, List.of(heuristic, timed)));
        assertEquals("none", AlgoNames.describe(Direction.BACKWARD_FILTER, List.of()));
    }
}
