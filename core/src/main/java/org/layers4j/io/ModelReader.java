package org.layers4j.io;

import java.io.IOException;
import java.nio.file.Path;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * A reader of model files of another format than this library's safetensors files (ONNX's {@code .onnx}),
 * found with {@link java.util.ServiceLoader}: {@link Models#load} hands a path to the first reader that
 * {@link #accepts} it. Readers live in their own modules so that core depends on none of their libraries.
 */
public interface ModelReader {
    /** Whether this reader reads that file (by its name, or by its first bytes). */
    boolean accepts(Path path);

    /** The model the file describes, on {@code backend}, in eval mode; IOException naming what is wrong. */
    Module read(Path path, Backend backend) throws IOException;
}
