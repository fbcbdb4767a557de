package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the first algorithm of a ranking that fits in memory: an attempt that fails for lack of
 * memory (its workspace cannot be allocated, or cuDNN reports an allocation failure) moves on to
 * the next algorithm; any other failure is thrown as is. When nothing fits, the exception lists
 * every algorithm tried and why — the backend never switches to the CPU behind the caller's back.
 */
final class AlgoRunner {
    private static final Logger LOG = LoggerFactory.getLogger(AlgoRunner.class);

    /** One try of one algorithm; throws {@link CudaFailure} when it fails. */
    interface Attempt {
        void run(AlgoChoice choice);
    }

    private AlgoRunner() {
    }

    /** The choice that ran. */
    static AlgoChoice runFirstFitting(String what, List<AlgoChoice> ranked, long workspaceLimitBytes, Attempt attempt) {
        return runFirstFitting(what, ranked, workspaceLimitBytes, attempt, algo -> "algorithm " + algo);
    }

    /** The choice that ran; {@code algoName} names an algorithm in the DEBUG line of each fallback. */
    static AlgoChoice runFirstFitting(String what, List<AlgoChoice> ranked, long workspaceLimitBytes, Attempt attempt,
                                      IntFunction<String> algoName) {
        if (ranked.isEmpty()) {
            throw new IllegalStateException("no cuDNN algorithm for " + what + " is usable within "
                    + CudaSettings.WORKSPACE_LIMIT + "=" + workspaceLimitBytes
                    + " (with the current determinism and math-type settings)");
        }
        List<String> tried = new ArrayList<>();
        for (AlgoChoice c : ranked) {
            try {
                attempt.run(c);
                return c;
            } catch (CudaFailure e) {
                if (!e.isOutOfMemory()) {
                    throw e;
                }
                tried.add("algorithm " + c.algo() + " (workspace " + c.memory() + " bytes): " + e.getMessage());
                LOG.debug("{}: {} does not fit ({}); trying the next algorithm", what, algoName.apply(c.algo()),
                        e.getMessage());
            }
        }
        throw new IllegalStateException("out of device memory for " + what + ": every usable cuDNN algorithm failed"
                + " for lack of memory (" + CudaSettings.WORKSPACE_LIMIT + "=" + workspaceLimitBytes + "); tried "
                + String.join("; ", tried));
    }
}
