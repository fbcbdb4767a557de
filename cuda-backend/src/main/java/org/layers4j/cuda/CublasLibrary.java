package org.layers4j.cuda;

import jcuda.jcublas.JCublas2;

/**
 * Whether cuBLAS can be used, found out once per JVM and only when first asked (never at class load):
 * JCublas2's JNI library needs {@code libcublas.so.12} (CUDA 12), which hosts with only CUDA 13
 * libraries lack. cuBLAS is optional: without it Linear's GEMM runs on cuDNN as a 1x1 convolution, and
 * {@code layers4j info} shows why. Touching JCublas2 happens inside {@code catch (Throwable)}, so a
 * missing library becomes a reason, never a crash.
 */
final class CublasLibrary {
    /** libraryPropertyType MAJOR_VERSION / MINOR_VERSION / PATCH_LEVEL. */
    private static final int MAJOR = 0;
    private static final int MINOR = 1;
    private static final int PATCH = 2;

    private static volatile boolean probed;
    private static String problem;
    private static String version;

    private CublasLibrary() {
    }

    private static synchronized void probe() {
        if (probed) {
            return;
        }
        try {
            int[] major = new int[1];
            int[] minor = new int[1];
            int[] patch = new int[1];
            int s = JCublas2.cublasGetProperty(MAJOR, major);
            if (s == 0) {
                s = JCublas2.cublasGetProperty(MINOR, minor);
            }
            if (s == 0) {
                s = JCublas2.cublasGetProperty(PATCH, patch);
            }
            if (s != 0) {
                problem = "cublasGetProperty failed: " + CudaFailure.cublasMessage(s);
            } else {
                version = major[0] + "." + minor[0] + "." + patch[0];
            }
        } catch (Throwable t) {
            problem = CudaProbe.describeLoadFailure(t, "JCublas2 (cuBLAS 12)");
        }
        probed = true;
    }

    /** Null when cuBLAS loaded, else why not. */
    static String problem() {
        probe();
        return problem;
    }

    /** cuBLAS's version, e.g. "12.6.4"; null when it did not load. */
    static String version() {
        probe();
        return version;
    }

    /** The {@code info} line: the version, or the reason and what runs instead. */
    static String describe() {
        String p = problem();
        return p == null ? version() + " (Linear's GEMM: cublasSgemm)"
                : "unavailable: " + p + " — Linear's GEMM runs on cuDNN as a 1x1 convolution";
    }
}
