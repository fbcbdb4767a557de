package org.layers4j.cpu;

import java.util.Map;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;

/**
 * Run in a child JVM with a small heap by {@link PoolPressureTest}: closes 32 tensors of 4 MiB (into the
 * pool), then allocates 120 MB, which fits only when the pool gives its arrays back. Prints "allocated=ok".
 */
public final class PoolPressureProbe {
    private PoolPressureProbe() {
    }

    public static void main(String[] args) {
        Config config = Config.of(Map.of(), Map.of(), Map.of()).with(CpuBackend.WARMUP_KEY, "false");
        if (args.length > 0) {
            config = config.with(CpuBackend.POOL_BYTES_KEY, args[0]);
        }
        try (CpuBackend be = new CpuBackend(config)) {
            System.out.println("poolBytes=" + be.poolBytes());
            Tensor[] ts = new Tensor[32];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = be.allocate(Shape.of(1 << 20));
            }
            for (Tensor t : ts) {
                t.close();
            }
            try (Tensor big = be.allocate(Shape.of(30_000_000))) {
                System.out.println("size=" + big.shape().size());
            } catch (OutOfMemoryError e) {
                System.out.println("allocated=OOM");
                return;
            }
            System.out.println("allocated=ok");
        }
    }
}
