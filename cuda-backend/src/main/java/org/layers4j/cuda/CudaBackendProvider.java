package org.layers4j.cuda;

import org.layers4j.config.Config;
import org.layers4j.spi.Availability;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BackendProvider;

/**
 * The {@code cuda} backend for {@link java.util.ServiceLoader}: priority 100, above the CPU's 10,
 * so {@code layers4j.backend=auto} takes the GPU where it works. Loading this class touches no
 * native library; {@link #availability()} probes them once (see {@link CudaProbe}) and reports why
 * CUDA cannot run instead of failing.
 */
public final class CudaBackendProvider implements BackendProvider {
    public static final int PRIORITY = 100;

    @Override
    public java.util.Set<String> configurationKeys() {
        return java.util.Set.of(CudaSettings.BENCHMARK, CudaSettings.DETERMINISTIC, CudaSettings.TF32,
                CudaSettings.WORKSPACE_LIMIT);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        CudaProbe.Result r;
        try {
            r = CudaProbe.result();
        } catch (Throwable t) {
            // the probe catches native failures itself; this is the last line so availability never throws
            return Availability.unavailable("CUDA probe failed: " + t);
        }
        return new Availability(r.available(), r.reason(), r.details());
    }

    /** A backend on {@code device} (0 when -1), configured by the {@code layers4j.cuda.*} keys. */
    @Override
    public Backend create(int device, Config config) {
        CudaProbe.Result r = CudaProbe.result();
        if (!r.available()) {
            throw new IllegalStateException("the cuda backend is unavailable: " + r.reason());
        }
        int d = device < 0 ? 0 : device;
        if (d >= r.deviceCount()) {
            throw new IllegalArgumentException("cuda:" + d + " does not exist: this machine has " + r.deviceCount()
                    + " CUDA device" + (r.deviceCount() == 1 ? "" : "s") + " (cuda:0"
                    + (r.deviceCount() > 1 ? " to cuda:" + (r.deviceCount() - 1) : "") + ")");
        }
        return new CudnnBackend(d, CudaSettings.from(config));
    }
}
