package org.layers4j.cuda;

import jcuda.jcudnn.JCudnn;
import jcuda.runtime.JCuda;

/**
 * A CUDA runtime or cuDNN call that returned an error status, with the library's own message
 * ({@code cudaGetErrorString} / {@code cudnnGetErrorString}). Every native call in this module goes
 * through {@link #cudnn} or {@link #cuda}, so no status is ever ignored. {@link #isOutOfMemory()}
 * lets the algorithm fallback tell "this algorithm needs more memory than there is" from real errors.
 */
public final class CudaFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** cudaErrorMemoryAllocation. */
    static final int CUDA_ERROR_MEMORY_ALLOCATION = 2;
    /** cuDNN 8's CUDNN_STATUS_ALLOC_FAILED. */
    static final int CUDNN8_ALLOC_FAILED = 2;
    /** cuDNN 9 renumbered the codes: INTERNAL_ERROR_HOST_ALLOCATION_FAILED (= ALLOC_FAILED). */
    static final int CUDNN9_HOST_ALLOCATION_FAILED = 4003;
    /** cuDNN 9: INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED. */
    static final int CUDNN9_DEVICE_ALLOCATION_FAILED = 4004;

    private final String library;
    private final int status;

    CudaFailure(String library, int status, String message) {
        super(message);
        this.library = library;
        this.status = status;
    }

    /** "cuDNN", "CUDA", or "workspace" for an algorithm over the workspace limit. */
    public String library() {
        return library;
    }

    /** The status code the call returned. */
    public int status() {
        return status;
    }

    /** An algorithm whose workspace exceeds the configured limit: treated like running out of memory. */
    static CudaFailure overWorkspaceLimit(String what, long needed, long limit) {
        return new CudaFailure("workspace", 0, what + " needs " + needed + " bytes of workspace, over "
                + CudaSettings.WORKSPACE_LIMIT + "=" + limit);
    }

    /** Whether the call failed for lack of (device or host) memory, or of allowed workspace. */
    public boolean isOutOfMemory() {
        if (library.equals("workspace")) {
            return true;
        }
        if (library.equals("CUDA")) {
            return status == CUDA_ERROR_MEMORY_ALLOCATION;
        }
        if (library.equals("CUDA driver")) {
            return status == 2; // CUDA_ERROR_OUT_OF_MEMORY
        }
        if (library.equals("cuBLAS")) {
            return status == 3; // CUBLAS_STATUS_ALLOC_FAILED
        }
        return status == CUDNN8_ALLOC_FAILED || status == CUDNN9_HOST_ALLOCATION_FAILED
                || status == CUDNN9_DEVICE_ALLOCATION_FAILED;
    }

    /** Throws when a cuDNN call did not return CUDNN_STATUS_SUCCESS (0). */
    static void cudnn(int status, String call) {
        if (status != 0) {
            throw new CudaFailure("cuDNN", status, call + " failed: " + cudnnMessage(status) + " (status " + status + ")");
        }
    }

    /** Throws when a CUDA runtime call did not return cudaSuccess (0). */
    static void cuda(int error, String call) {
        if (error != 0) {
            throw new CudaFailure("CUDA", error, call + " failed: " + cudaMessage(error) + " (error " + error + ")");
        }
    }

    /** cuDNN's own text; the 11.7 Java enum does not know cuDNN 9's renumbered codes, the library does. */
    /** Throws when a CUDA driver API call (module loading, kernel launch) did not return CUDA_SUCCESS (0). */
    static void driver(int result, String call) {
        if (result != 0) {
            throw new CudaFailure("CUDA driver", result, call + " failed: " + driverMessage(result) + " (CUresult "
                    + result + ")");
        }
    }

    /** Throws when a cuBLAS call did not return CUBLAS_STATUS_SUCCESS (0). */
    static void cublas(int status, String call) {
        if (status != 0) {
            throw new CudaFailure("cuBLAS", status, call + " failed: " + cublasMessage(status) + " (status " + status
                    + ")");
        }
    }

    static String driverMessage(int result) {
        try {
            String[] s = new String[1];
            if (jcuda.driver.JCudaDriver.cuGetErrorName(result, s) == 0 && s[0] != null) {
                return s[0];
            }
        } catch (Throwable ignored) {
            // fall through to the number
        }
        return "CUresult " + result;
    }

    static String cublasMessage(int status) {
        try {
            return jcuda.jcublas.cublasStatus.stringFor(status);
        } catch (Throwable t) {
            return "cuBLAS status " + status;
        }
    }

    static String cudnnMessage(int status) {
        try {
            return JCudnn.cudnnGetErrorString(status);
        } catch (Throwable t) {
            return "cuDNN status " + status;
        }
    }

    static String cudaMessage(int error) {
        try {
            return JCuda.cudaGetErrorString(error);
        } catch (Throwable t) {
            return "CUDA error " + error;
        }
    }
}
