package org.layers4j.cpu;

import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.config.Config;
import org.layers4j.spi.Availability;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BackendProvider;

/**
 * Service-loader entry of the pure-Java CPU backend: always available, lowest priority among the
 * shipped backends (10) so that {@code layers4j.backend=auto} prefers an accelerator when one works.
 * The details it reports say which kernel family (with its vector width, register count and tiles, derived
 * once from the machine) and how many threads a backend created from the process configuration would use.
 */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public java.util.Set<String> configurationKeys() {
        // the last six are tuning overrides read as system properties by the kernels (see docs/performance.md)
        return java.util.Set.of(Config.CPU_THREADS, Kernels.KERNELS_KEY, CpuBackend.WARMUP_KEY, "layers4j.cpu.poolBytes",
                "layers4j.cpu.tile", "layers4j.cpu.dotOnePass", "layers4j.cpu.dotChunk", "layers4j.cpu.vectorRegisters",
                ConvEngine.WEIGHT_GRADIENT_KEY, IndirectConvolution.ROW_BLOCKS_OUTER_KEY);
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public Availability availability() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        // the tiles follow the machine (vector length, vector registers): show what a backend here would use
        details.put("kernels", Kernels.vectorModulePresent() ? Kernels.select("vector").description()
                : "scalar (jdk.incubator.vector not enabled)");
        details.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        return Availability.available(details);
    }

    @Override
    public Backend create(int device, Config config) {
        if (device > 0) {
            throw new IllegalStateException("the cpu backend has no device " + device + "; use 'cpu'");
        }
        return new CpuBackend(config);
    }
}
