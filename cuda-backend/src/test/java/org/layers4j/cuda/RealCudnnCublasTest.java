package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.layers4j.spi.Availability;

/**
 * JCublas2 12.6.0 linked against the real libcublas.so.12 (+ libcublasLt.so.12) of the same NVIDIA
 * redistributable as cuDNN: the library loads lazily through {@link CublasLibrary}, reports its version,
 * {@code info} shows it, and without a GPU {@code cublasCreate} returns an error status instead of
 * crashing. Under {@code -Pcudnn-descriptors} a missing cuBLAS fails; elsewhere the test is skipped.
 */
class RealCudnnCublasTest {

    @BeforeEach
    void cublas() {
        String problem = CublasLibrary.problem();
        if (problem != null && Boolean.getBoolean("layers4j.test.requireCudnn")) {
            fail("-Pcudnn-descriptors is on but cuBLAS did not load: " + problem);
        }
        assumeTrue(problem == null, () -> "cuBLAS 12 is not loadable (" + problem
                + "); run mvn -Pcudnn-descriptors to test against it");
    }

    @Test
    void cublasLoadsAndReportsVersion12() {
        assertNull(CublasLibrary.problem());
        assertTrue(CublasLibrary.version().startsWith("12."), CublasLibrary.version());
        assertTrue(CublasLibrary.describe().contains("cublasSgemm"), CublasLibrary.describe());
    }

    @Test
    void withoutAGpuCublasCreateReturnsAnErrorStatusRatherThanCrashing() {
        Availability a = new CudaBackendProvider().availability();
        assumeFalse(a.available(), "this machine has a usable GPU; the no-GPU path cannot be exercised here");
        cublasHandle h = new cublasHandle();
        int status = JCublas2.cublasCreate(h);
        assertNotEquals(0, status, "cublasCreate succeeded without a GPU");
        // CUBLAS_STATUS_NOT_INITIALIZED: the CUDA runtime found no device
        assertEquals(1, status, CudaFailure.cublasMessage(status));
        CudaFailure e = org.junit.jupiter.api.Assertions.assertThrows(CudaFailure.class,
                () -> CudaFailure.cublas(status, "cublasCreate"));
        assertTrue(e.getMessage().contains("CUBLAS_STATUS_NOT_INITIALIZED"), e.getMessage());
    }

    @Test
    void infoShowsCublas() {
        Availability a = new CudaBackendProvider().availability();
        assertTrue(a.details().getOrDefault("cublas", "").startsWith("12."), a.details().toString());
    }
}
