package org.layers4j.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.layers4j.graph.GraphModule;
import org.layers4j.io.StateDicts;
import org.layers4j.spi.Backend;

/**
 * Loads ONNX models ({@code .onnx}, a ModelProto; opsets 11 to 21 of the default domain) as
 * {@link GraphModule}s: see {@link OnnxConverter} for the mapping and {@link OnnxOps#supported()} for the op
 * types. {@link org.layers4j.io.Models#load} reads {@code .onnx} files through this module's
 * {@link OnnxModelReader}. Anything not supported is an {@link OnnxUnsupportedException} at load naming the
 * node; malformed bytes an {@link IOException}.
 */
public final class OnnxModels {
    /** Files larger than this are refused (protobuf's own limit is 2 GiB; external data is not supported). */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8L;

    private OnnxModels() {
    }

    /** Loads an ONNX file onto {@code backend}, in eval mode. */
    public static GraphModule load(Path path, Backend backend) throws IOException {
        long size = Files.size(path);
        if (size > MAX_FILE_BYTES) {
            throw new IOException(path + ": " + size + " bytes, more than an ONNX file without external data holds");
        }
        try {
            return fromBytes(Files.readAllBytes(path), backend);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** A model from ModelProto bytes. */
    public static GraphModule fromBytes(byte[] bytes, Backend backend) throws IOException {
        OnnxProto.Model model;
        try {
            model = OnnxProto.parseModel(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("not a valid ONNX ModelProto: " + e.getMessage(), e);
        }
        OnnxConverter.Result r = OnnxConverter.convert(model, backend);
        GraphModule m;
        try (org.layers4j.nn.Init.Skip noInit = org.layers4j.nn.Init.skip()) { // the initializers set every value
            m = new GraphModule(r.graph(), backend, OnnxOps.registry());
        }
        try {
            StateDicts.load(m, r.state());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        m.eval();
        return m;
    }
}
