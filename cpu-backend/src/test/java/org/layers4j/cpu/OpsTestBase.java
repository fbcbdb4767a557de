package org.layers4j.cpu;

import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One backend per kernel family for a whole test class (two threads, so the parallel paths run too). */
abstract class OpsTestBase {
    enum Family { vector, scalar }

    private static final Map<Family, CpuBackend> BACKENDS = new EnumMap<>(Family.class);

    @BeforeAll
    static void createBackends() {
        for (Family f : Family.values()) {
            BACKENDS.put(f, TestSupport.backend(f.name(), 2));
        }
    }

    @AfterAll
    static void closeBackends() {
        BACKENDS.values().forEach(CpuBackend::close);
        BACKENDS.clear();
    }

    static CpuBackend backend(Family f) {
        return BACKENDS.get(f);
    }

    static Stream<Family> families() {
        return Stream.of(Family.values());
    }
}
