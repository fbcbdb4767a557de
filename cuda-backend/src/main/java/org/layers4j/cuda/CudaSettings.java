package org.layers4j.cuda;

import org.layers4j.config.Config;

/**
 * The CUDA backend's configuration keys, read once when a backend is created:
 * {@code layers4j.cuda.benchmark} (time every algorithm with cudnnFind...AlgorithmEx and cache the
 * fastest instead of trusting the heuristics), {@code layers4j.cuda.deterministic} (only algorithms
 * cuDNN reports as deterministic), {@code layers4j.cuda.tf32} (allow tensor-op math; off by default
 * so FP32 results match the CPU), and {@code layers4j.cuda.workspaceLimitBytes} (the most scratch
 * memory one convolution may use).
 */
public record CudaSettings(boolean benchmark, boolean deterministic, boolean tf32, long workspaceLimitBytes) {
    public static final String BENCHMARK = "layers4j.cuda.benchmark";
    public static final String DETERMINISTIC = "layers4j.cuda.deterministic";
    public static final String TF32 = "layers4j.cuda.tf32";
    public static final String WORKSPACE_LIMIT = "layers4j.cuda.workspaceLimitBytes";
    /** 1 GiB: enough for the fast FFT / Winograd algorithms on typical layers, small next to a GPU. */
    public static final long DEFAULT_WORKSPACE_LIMIT = 1L << 30;

    public CudaSettings {
        if (workspaceLimitBytes < 0) {
            throw new IllegalArgumentException(WORKSPACE_LIMIT + " must be >= 0, but got " + workspaceLimitBytes);
        }
    }

    public static CudaSettings from(Config config) {
        return new CudaSettings(config.getBoolean(BENCHMARK, false), config.getBoolean(DETERMINISTIC, false),
                config.getBoolean(TF32, false), config.getLong(WORKSPACE_LIMIT, DEFAULT_WORKSPACE_LIMIT));
    }

    /** cudnnMathType_t for the convolution descriptors: CUDNN_FMA_MATH (3) or CUDNN_TENSOR_OP_MATH (1). */
    public int mathType() {
        return tf32 ? MathTypes.TENSOR_OP : MathTypes.FMA;
    }

    /** cudnnMathType_t values (stable across cuDNN 8 and 9). */
    static final class MathTypes {
        static final int DEFAULT = 0;
        static final int TENSOR_OP = 1;
        static final int TENSOR_OP_ALLOW_CONVERSION = 2;
        static final int FMA = 3;

        private MathTypes() {
        }
    }
}
