package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * One entry of cuDNN's ranking for a convolution pass (from the _v7 heuristics or from a
 * Find...AlgorithmEx benchmark), direction-neutral, and the rule that turns cuDNN's ranking into
 * the list the backend tries in order.
 *
 * @param algo          the cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t value
 * @param status        cuDNN's status for it (0 = usable)
 * @param timeMs        measured time in benchmark mode, -1 from heuristics
 * @param memory        workspace bytes it needs
 * @param deterministic whether cuDNN reports it as deterministic
 * @param mathType      the cudnnMathType_t it runs with
 */
public record AlgoChoice(int algo, int status, float timeMs, long memory, boolean deterministic, int mathType) {

    /**
     * The usable entries in cuDNN's order: status SUCCESS, deterministic when asked, within the
     * workspace limit, and — in strict FP32 mode — no tensor-op math, which would round the inputs
     * to TF32 and break agreement with the CPU. Duplicates (the same algorithm listed twice) keep
     * their first, best-ranked position.
     */
    public static List<AlgoChoice> usable(List<AlgoChoice> ranked, boolean deterministicOnly, boolean allowTensorOps,
                                          long workspaceLimitBytes) {
        List<AlgoChoice> out = new ArrayList<>();
        for (AlgoChoice c : ranked) {
            if (c.status != 0 || c.memory > workspaceLimitBytes || (deterministicOnly && !c.deterministic)) {
                continue;
            }
            if (!allowTensorOps && (c.mathType == CudaSettings.MathTypes.TENSOR_OP
                    || c.mathType == CudaSettings.MathTypes.TENSOR_OP_ALLOW_CONVERSION)) {
                continue;
            }
            if (out.stream().noneMatch(o -> o.algo == c.algo)) {
                out.add(c);
            }
        }
        return List.copyOf(out);
    }
}
