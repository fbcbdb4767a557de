package org.layers4j.cuda;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnHandle;
import jcuda.runtime.JCuda;

/**
 * Finds out, without ever letting a missing native library crash the JVM, whether this machine can
 * run the cuDNN backend, and if not, exactly why: the NVIDIA driver ({@code libcuda.so.1}), a CUDA
 * device, cuDNN 9 ({@code libcudnn.so.9}), the CUDA 12 runtime against that driver, and finally a
 * real cuDNN handle. Each native library is first touched inside a {@code catch (Throwable)}, so an
 * {@link UnsatisfiedLinkError} becomes a reason string. libcublas is optional: whether it loaded (or
 * why not) goes to the details, never to the reason.
 */
final class CudaProbe {
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("(lib[A-Za-z0-9_.+-]+\\.so[0-9.]*): cannot open shared object file");

    /** What the probe found; {@code reason} is empty when the backend can run. */
    record Result(String reason, Map<String, String> details, int deviceCount) {
        boolean available() {
            return reason.isEmpty();
        }
    }

    private static volatile Result cached;

    private CudaProbe() {
    }

    /** The probe's result, computed once per JVM (native libraries load at most once anyway). */
    static Result result() {
        Result r = cached;
        if (r == null) {
            synchronized (CudaProbe.class) {
                r = cached;
                if (r == null) {
                    cached = r = run();
                }
            }
        }
        return r;
    }

    private static Result run() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("jcuda", "12.6.0 (jcudnn API 11.7.0, natives for cuDNN 9)");
        String cudnnProblem = probeCudnn(details);
        // optional: without it the backend still runs (GEMM as a cuDNN 1x1 convolution); info says why
        details.put("cublas", CublasLibrary.describe());
        String driverProblem;
        int devices = 0;
        try {
            driverProblem = probeDriver(details);
            if (driverProblem == null) {
                int[] count = new int[1];
                check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
                devices = count[0];
                if (devices == 0) {
                    driverProblem = "no CUDA device";
                }
            }
        } catch (Throwable t) {
            driverProblem = describeLoadFailure(t, "the NVIDIA driver library");
        }
        if (driverProblem != null) {
            return new Result(driverProblem + (cudnnProblem != null ? "; also " + cudnnProblem : ""), details, 0);
        }
        if (cudnnProblem != null) {
            return new Result(cudnnProblem, details, devices);
        }
        String runtimeProblem = probeRuntimeAndHandle(details);
        return new Result(runtimeProblem == null ? "" : runtimeProblem, details, devices);
    }

    /** Loads libcudnn.so.9 through JCudnn and checks its version; needs no GPU. */
    private static String probeCudnn(Map<String, String> details) {
        long version;
        try {
            version = JCudnn.cudnnGetVersion();
        } catch (Throwable t) {
            return describeLoadFailure(t, "cuDNN");
        }
        details.put("cudnn", version / 10000 + "." + version % 10000 / 100 + "." + version % 100 + " (" + version + ")");
        if (version < 90000 || version >= 100000) {
            return "cuDNN " + version + " found, but cuDNN 9 (libcudnn.so.9) is required";
        }
        return null;
    }

    private static String probeDriver(Map<String, String> details) {
        int init = JCudaDriver.cuInit(0);
        if (init == jcuda.driver.CUresult.CUDA_ERROR_NO_DEVICE) {
            return "no CUDA device";
        }
        int[] v = new int[1];
        if (JCudaDriver.cuDriverGetVersion(v) == 0) {
            details.put("cuda.driver", "CUDA " + v[0] / 1000 + "." + v[0] % 1000 / 10);
        }
        if (init != 0) {
            return "cuInit failed: " + driverMessage(init);
        }
        int[] count = new int[1];
        check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        details.put("cuda.devices", String.valueOf(count[0]));
        for (int i = 0; i < count[0]; i++) {
            CUdevice dev = new CUdevice();
            check(JCudaDriver.cuDeviceGet(dev, i), "cuDeviceGet");
            byte[] name = new byte[256];
            check(JCudaDriver.cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
            int[] major = new int[1];
            int[] minor = new int[1];
            check(JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                    dev), "cuDeviceGetAttribute");
            check(JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                    dev), "cuDeviceGetAttribute");
            long[] mem = new long[1];
            check(JCudaDriver.cuDeviceTotalMem(mem, dev), "cuDeviceTotalMem");
            int len = 0;
            while (len < name.length && name[len] != 0) {
                len++;
            }
            details.put("cuda:" + i, new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8) + ", compute "
                    + major[0] + "." + minor[0] + ", " + String.format(java.util.Locale.ROOT, "%.1f GiB",
                    mem[0] / (double) (1L << 30)));
        }
        return null;
    }

    /** The statically linked CUDA 12 runtime must accept the driver, and a cuDNN handle must work. */
    private static String probeRuntimeAndHandle(Map<String, String> details) {
        try {
            int[] count = new int[1];
            int err = JCuda.cudaGetDeviceCount(count);
            if (err != 0) {
                return "the CUDA 12 runtime cannot use this driver: " + CudaFailure.cudaMessage(err)
                        + " (an NVIDIA driver for CUDA 12 or newer is needed)";
            }
            err = JCuda.cudaSetDevice(0);
            if (err != 0) {
                return "cudaSetDevice(0) failed: " + CudaFailure.cudaMessage(err);
            }
            cudnnHandle h = new cudnnHandle();
            int s = JCudnn.cudnnCreate(h);
            if (s != 0) {
                return "cudnnCreate failed on cuda:0: " + CudaFailure.cudnnMessage(s);
            }
            JCudnn.cudnnDestroy(h);
            return null;
        } catch (Throwable t) {
            return describeLoadFailure(t, "the CUDA runtime");
        }
    }

    /**
     * A reason a user can act on from a native load failure: "libcuda.so.1 not found" for a missing
     * driver, "libcudnn.so.9 not found — set LD_LIBRARY_PATH" for a missing cuDNN.
     */
    static String describeLoadFailure(Throwable t, String what) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c).append('\n');
        }
        Matcher m = MISSING_LIBRARY.matcher(all);
        while (m.find()) {
            String lib = m.group(1);
            if (lib.startsWith("libJ")) {
                continue;
            }
            if (lib.startsWith("libcuda.so")) {
                return lib + " not found (no NVIDIA driver installed, or its library directory is not on the loader path)";
            }
            if (lib.startsWith("libcudnn")) {
                return lib + " not found — set LD_LIBRARY_PATH to the directory holding cuDNN 9's libraries";
            }
            return lib + " not found, needed by " + what;
        }
        String first = String.valueOf(t.getMessage()).lines().findFirst().orElse(t.toString());
        return "cannot load " + what + ": " + t.getClass().getSimpleName() + ": " + first;
    }

    private static String driverMessage(int result) {
        String[] s = new String[1];
        try {
            if (JCudaDriver.cuGetErrorString(result, s) == 0 && s[0] != null) {
                return s[0] + " (CUresult " + result + ")";
            }
        } catch (Throwable ignored) {
            // fall through to the number alone
        }
        return "CUresult " + result;
    }

    private static void check(int result, String call) {
        if (result != 0) {
            throw new IllegalStateException(call + " failed: " + driverMessage(result));
        }
    }
}
