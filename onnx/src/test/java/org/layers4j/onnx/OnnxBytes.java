package org.layers4j.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Writes small ONNX ModelProtos for tests, by the specification's field numbers (see OnnxProto). */
final class OnnxBytes {
    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> inits = new ArrayList<>();
    private final List<byte[]> inputs = new ArrayList<>();
    private final List<byte[]> outputs = new ArrayList<>();
    private long opset = 13;

    interface Body {
        void write(CodedOutputStream out) throws IOException;
    }

    static byte[] message(Body body) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(b);
            body.write(out);
            out.flush();
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    OnnxBytes opset(long v) {
        opset = v;
        return this;
    }

    /** A float input with dims (Long sizes or String symbols). */
    OnnxBytes input(String name, Object... dims) {
        inputs.add(valueInfo(name, dims));
        return this;
    }

    OnnxBytes output(String name) {
        outputs.add(valueInfo(name));
        return this;
    }

    private static byte[] valueInfo(String name, Object... dims) {
        byte[] shape = message(o -> {
            for (Object d : dims) {
                o.writeByteArray(1, message(x -> {
                    if (d instanceof String s) {
                        x.writeString(2, s);
                    } else {
                        x.writeInt64(1, ((Number) d).longValue());
                    }
                }));
            }
        });
        byte[] tensorType = message(o -> {
            o.writeInt32(1, 1);
            o.writeByteArray(2, shape);
        });
        byte[] type = message(o -> o.writeByteArray(1, tensorType));
        return message(o -> {
            o.writeString(1, name);
            o.writeByteArray(2, type);
        });
    }

    static byte[] floatTensor(String name, long[] dims, float[] values) {
        return message(o -> {
            for (long d : dims) {
                o.writeInt64(1, d);
            }
            o.writeInt32(2, 1);
            o.writeString(8, name);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                b.putFloat(v);
            }
            o.writeBytes(9, ByteString.copyFrom(b.array()));
        });
    }

    static byte[] longTensor(String name, long[] dims, long[] values) {
        return message(o -> {
            for (long d : dims) {
                o.writeInt64(1, d);
            }
            o.writeInt32(2, 7);
            o.writeString(8, name);
            for (long v : values) {
                o.writeInt64(7, v);
            }
        });
    }

    OnnxBytes initializer(byte[] tensor) {
        inits.add(tensor);
        return this;
    }

    static byte[] intsAttr(String name, long... v) {
        return message(o -> {
            o.writeString(1, name);
            o.writeInt32(20, 7);
            for (long x : v) {
                o.writeInt64(8, x);
            }
        });
    }

    static byte[] stringAttr(String name, String v) {
        return message(o -> {
            o.writeString(1, name);
            o.writeInt32(20, 3);
            o.writeString(4, v);
        });
    }

    static byte[] intAttr(String name, long v) {
        return message(o -> {
            o.writeString(1, name);
            o.writeInt32(20, 2);
            o.writeInt64(3, v);
        });
    }

    static byte[] graphAttr(String name, byte[] graph) {
        return message(o -> {
            o.writeString(1, name);
            o.writeInt32(20, 5);
            o.writeByteArray(6, graph);
        });
    }

    OnnxBytes node(String op, List<String> in, List<String> out, byte[]... attrs) {
        return node(op, "", in, out, attrs);
    }

    OnnxBytes node(String op, String domain, List<String> in, List<String> out, byte[]... attrs) {
        nodes.add(message(o -> {
            for (String s : in) {
                o.writeString(1, s);
            }
            for (String s : out) {
                o.writeString(2, s);
            }
            o.writeString(3, "n" + nodes.size());
            o.writeString(4, op);
            for (byte[] a : attrs) {
                o.writeByteArray(5, a);
            }
            if (!domain.isEmpty()) {
                o.writeString(7, domain);
            }
        }));
        return this;
    }

    byte[] graph() {
        return message(o -> {
            for (byte[] n : nodes) {
                o.writeByteArray(1, n);
            }
            o.writeString(2, "g");
            for (byte[] t : inits) {
                o.writeByteArray(5, t);
            }
            for (byte[] i : inputs) {
                o.writeByteArray(11, i);
            }
            for (byte[] i : outputs) {
                o.writeByteArray(12, i);
            }
        });
    }

    byte[] model() {
        byte[] g = graph();
        return message(o -> {
            o.writeInt64(1, 8);
            o.writeString(2, "layers4j-test");
            o.writeByteArray(7, g);
            o.writeByteArray(8, message(x -> {
                x.writeString(1, "");
                x.writeInt64(2, opset);
            }));
        });
    }
}
