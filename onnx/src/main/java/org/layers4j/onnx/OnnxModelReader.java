package org.layers4j.onnx;

import java.io.IOException;
import java.nio.file.Path;
import org.layers4j.io.ModelReader;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/** The {@link ModelReader} of {@code .onnx} files (registered in META-INF/services). */
public final class OnnxModelReader implements ModelReader {
    @Override
    public boolean accepts(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
    }

    @Override
    public Module read(Path path, Backend backend) throws IOException {
        return OnnxModels.load(path, backend);
    }
}
