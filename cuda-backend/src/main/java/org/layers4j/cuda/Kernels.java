package org.layers4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend's own CUDA kernels ({@code src/main/cuda/kernels.cu}, committed as PTX in
 * {@code kernels.ptx}), for the ops cuDNN cannot express exactly. The module is loaded on first use
 * into the device's primary context (the one the CUDA runtime made current), through the driver API's
 * {@code cuModuleLoadData}; the driver JIT-compiles the PTX for the GPU. The PTX is ISA 9.0 (nvcc 13),
 * so it needs a driver for CUDA 13: an older driver fails here with its own error, never silently.
 */
final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    static final String RESOURCE = "kernels.ptx";
    private static final int BLOCK = 256;
    private static final long MAX_BLOCKS = 1L << 20;

    private final int device;
    private volatile CUmodule module;
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();

    Kernels(int device) {
        this.device = device;
    }

    /** The PTX text, NUL-terminated as cuModuleLoadData wants it. */
    static byte[] ptx() {
        try (InputStream in = Kernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource org/layers4j/cuda/" + RESOURCE + " is missing from the jar");
            }
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CUfunction function(String name) {
        CUfunction f = functions.get(name);
        if (f != null) {
            return f;
        }
        CUmodule m = module();
        f = new CUfunction();
        CudaFailure.driver(JCudaDriver.cuModuleGetFunction(f, m, name), "cuModuleGetFunction(" + name + ")");
        functions.putIfAbsent(name, f);
        return f;
    }

    private CUmodule module() {
        CUmodule m = module;
        if (m == null) {
            synchronized (this) {
                m = module;
                if (m == null) {
                    CudaFailure.driver(JCudaDriver.cuInit(0), "cuInit");
                    CUcontext current = new CUcontext();
                    CudaFailure.driver(JCudaDriver.cuCtxGetCurrent(current), "cuCtxGetCurrent");
                    m = new CUmodule();
                    byte[] ptx = ptx();
                    long t0 = System.nanoTime();
                    int r = JCudaDriver.cuModuleLoadData(m, ptx);
                    if (r != 0) {
                        LOG.debug("cuda:{}: cuModuleLoadData({}) failed with {}", device, RESOURCE, r);
                        CudaFailure.driver(r, "cuModuleLoadData(" + RESOURCE + ", PTX ISA 9.0 from nvcc 13; the driver"
                                + " must support CUDA 13) on cuda:" + device);
                    }
                    LOG.debug("cuda:{}: loaded the PTX module {} ({} bytes, ISA 9.0) into the primary context,"
                            + " JIT-compiled by the driver in {} ms", device, RESOURCE, ptx.length - 1,
                            (System.nanoTime() - t0) / 1_000_000);
                    module = m;
                }
            }
        }
        return m;
    }

    /**
     * Launches {@code name} on the context's stream with one thread per element of {@code total}
     * (grid-stride loops cover the rest). Arguments: {@link Pointer} (device memory, or null for a
     * NULL pointer), Integer, Long, Float, Double — in the kernel's parameter order.
     */
    void launch(StreamContext ctx, String name, long total, Object... args) {
        if (total <= 0) {
            return;
        }
        CUfunction f = function(name);
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                params[i] = Pointer.to(new Pointer());
            } else if (a instanceof Pointer) {
                params[i] = Pointer.to((Pointer) a);
            } else if (a instanceof Integer) {
                params[i] = Pointer.to(new int[] {(Integer) a});
            } else if (a instanceof Long) {
                params[i] = Pointer.to(new long[] {(Long) a});
            } else if (a instanceof Float) {
                params[i] = Pointer.to(new float[] {(Float) a});
            } else if (a instanceof Double) {
                params[i] = Pointer.to(new double[] {(Double) a});
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " of " + name + ": " + a.getClass());
            }
        }
        int blocks = (int) Math.min((total + BLOCK - 1) / BLOCK, MAX_BLOCKS);
        CudaFailure.driver(JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, BLOCK, 1, 1, 0, new CUstream(ctx.stream),
                Pointer.to(params), null), "cuLaunchKernel(" + name + ")");
    }
}
