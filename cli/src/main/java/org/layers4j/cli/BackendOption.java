package org.layers4j.cli;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import picocli.CommandLine.Option;

/** The {@code --backend} option the commands share (a picocli mixin). */
final class BackendOption {
    @Option(names = "--backend", description = "auto, cpu, cuda or cuda:N (default: layers4j.backend, else auto)")
    String spec;

    /** The backend named, or the configured one when the option is absent. */
    Backend resolve() {
        return spec == null ? Backends.defaultBackend() : Backends.get(spec);
    }
}
