package org.layers4j.cuda;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgo;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgo;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import jcuda.jcudnn.cudnnMathType;
import org.layers4j.cuda.AlgoKey.Direction;

/**
 * cuDNN's names for the algorithms and math types, for the backend's log lines. JCudnn's constant
 * classes are plain Java: naming an algorithm loads no native library.
 */
final class AlgoNames {

    private AlgoNames() {
    }

    /** e.g. {@code CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM}. */
    static String algorithm(Direction dir, int algo) {
        switch (dir) {
            case FORWARD:
                return cudnnConvolutionFwdAlgo.stringFor(algo);
            case BACKWARD_DATA:
                return cudnnConvolutionBwdDataAlgo.stringFor(algo);
            default:
                return cudnnConvolutionBwdFilterAlgo.stringFor(algo);
        }
    }

    /** e.g. {@code CUDNN_FMA_MATH}. */
    static String mathType(int mathType) {
        return cudnnMathType.stringFor(mathType);
    }

    /** One ranking entry: the name, its workspace, the measured time (benchmark mode), determinism, math. */
    static String describe(Direction dir, AlgoChoice c) {
        StringBuilder s = new StringBuilder(algorithm(dir, c.algo())).append(" (workspace ").append(c.memory())
                .append(" B");
        if (c.timeMs() >= 0) {
            s.append(String.format(Locale.ROOT, ", %.3f ms", c.timeMs()));
        }
        if (c.status() != 0) {
            s.append(", status ").append(c.status());
        }
        return s.append(c.deterministic() ? ", deterministic, " : ", non-deterministic, ").append(mathType(c.mathType()))
                .append(')').toString();
    }

    static String describe(Direction dir, List<AlgoChoice> ranked) {
        return ranked.isEmpty() ? "none"
                : ranked.stream().map(c -> describe(dir, c)).collect(Collectors.joining(", ", "[", "]"));
    }
}
