package org.layers4j.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of ONNX's schema ({@code onnx.proto}, IR version 3 to 10) this front end reads, by field number,
 * over protobuf's {@link CodedInputStream}: no generated code and no copied {@code .proto}. The field
 * numbers below are the ONNX specification's. Unknown fields are skipped (protobuf's rule), so newer files
 * read; every length is bounded by the bytes present and nesting by {@link #MAX_DEPTH}, so hostile bytes
 * give an {@link IOException}, never a crash.
 */
public final class OnnxProto {
    /** Graphs nest in If / Loop attributes; deeper nesting than this is refused. */
    public static final int MAX_DEPTH = 24;

    private OnnxProto() {
    }

    /** ModelProto: ir_version 1, opset_import 8, producer_name 2, graph 7. */
    public record Model(long irVersion, String producer, List<OpsetId> opsets, GraphProto graph) {
    }

    /** OperatorSetIdProto: domain 1, version 2. */
    public record OpsetId(String domain, long version) {
    }

    /** GraphProto: node 1, name 2, initializer 5, input 11, output 12, value_info 13. */
    public record GraphProto(String name, List<NodeProto> nodes, List<TensorProto> initializers, List<ValueInfo> inputs,
                             List<ValueInfo> outputs) {
    }

    /** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
    public record NodeProto(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                            List<Attribute> attributes) {
    }

    /**
     * AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, strings 9, tensors 10, graphs 11,
     * type 20 (FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8, TENSORS 9, GRAPHS 10).
     */
    public record Attribute(String name, int type, float f, long i, String s, TensorProto t, GraphProto g,
                            List<Float> floats, List<Long> ints, List<String> strings, boolean hasGraph) {
    }

    /** ValueInfoProto: name 1, type 2 (TypeProto: tensor_type 1 = {elem_type 1, shape 2 = {dim 1}}). */
    public record ValueInfo(String name, int elemType, List<Object> dims) {
    }

    /**
     * TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9,
     * double_data 10, uint64_data 11, data_location 14 (1 = external, not supported).
     */
    public record TensorProto(String name, int dataType, long[] dims, byte[] raw, float[] floats, int[] int32s,
                              long[] int64s, double[] doubles, boolean external) {
    }

    /** Parses a ModelProto. */
    public static Model parseModel(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setRecursionLimit(MAX_DEPTH);
        long ir = 0;
        String producer = "";
        List<OpsetId> opsets = new ArrayList<>();
        GraphProto graph = null;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> ir = in.readInt64();
                case 2 -> producer = in.readString();
                case 7 -> graph = message(in, 0, OnnxProto::graph);
                case 8 -> opsets.add(message(in, 0, (s, d) -> opset(s)));
                default -> in.skipField(tag);
            }
        }
        if (graph == null) {
            throw new IOException("not an ONNX model: the ModelProto has no graph (field 7)");
        }
        return new Model(ir, producer, opsets, graph);
    }

    private interface Reader<T> {
        T read(CodedInputStream in, int depth) throws IOException;
    }

    private static <T> T message(CodedInputStream in, int depth, Reader<T> reader) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("ONNX graphs nested deeper than " + MAX_DEPTH + " levels");
        }
        int length = in.readRawVarint32();
        if (length < 0 || length > in.getBytesUntilLimit() && in.getBytesUntilLimit() >= 0) {
            throw new IOException("a message of " + length + " bytes runs past the end of its container");
        }
        int old = in.pushLimit(length);
        T v = reader.read(in, depth);
        in.checkLastTagWas(0);
        in.popLimit(old);
        return v;
    }

    private static OpsetId opset(CodedInputStream in) throws IOException {
        String domain = "";
        long version = 0;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> domain = in.readString();
                case 2 -> version = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        return new OpsetId(domain, version);
    }

    private static GraphProto graph(CodedInputStream in, int depth) throws IOException {
        String name = "";
        List<NodeProto> nodes = new ArrayList<>();
        List<TensorProto> inits = new ArrayList<>();
        List<ValueInfo> inputs = new ArrayList<>();
        List<ValueInfo> outputs = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nodes.add(message(in, depth + 1, OnnxProto::node));
                case 2 -> name = in.readString();
                case 5 -> inits.add(message(in, depth + 1, (s, d) -> tensor(s)));
                case 11 -> inputs.add(message(in, depth + 1, (s, d) -> valueInfo(s)));
                case 12 -> outputs.add(message(in, depth + 1, (s, d) -> valueInfo(s)));
                default -> in.skipField(tag);
            }
        }
        return new GraphProto(name, nodes, inits, inputs, outputs);
    }

    private static NodeProto node(CodedInputStream in, int depth) throws IOException {
        String name = "";
        String op = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        List<Attribute> attrs = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 3 -> name = in.readString();
                case 4 -> op = in.readString();
                case 5 -> attrs.add(message(in, depth + 1, OnnxProto::attribute));
                case 7 -> domain = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new NodeProto(name, op, domain, inputs, outputs, attrs);
    }

    private static Attribute attribute(CodedInputStream in, int depth) throws IOException {
        String name = "";
        int type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        TensorProto t = null;
        GraphProto g = null;
        boolean hasGraph = false;
        List<Float> floats = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        List<String> strings = new ArrayList<>();
        int tag;
        while ((tag = in.readTag()) != 0) {
            int wire = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = in.readString();
                case 2 -> f = in.readFloat();
                case 3 -> i = in.readInt64();
                case 4 -> s = in.readBytes().toStringUtf8();
                case 5 -> t = message(in, depth + 1, (st, d) -> tensor(st));
                case 6 -> {
                    g = message(in, depth + 1, OnnxProto::graph);
                    hasGraph = true;
                }
                case 7 -> readFloats(in, wire, floats);
                case 8 -> readLongs(in, wire, ints);
                case 9 -> strings.add(in.readBytes().toStringUtf8());
                case 11 -> {
                    message(in, depth + 1, OnnxProto::graph);
                    hasGraph = true;
                }
                case 20 -> type = in.readInt32();
                default -> in.skipField(tag);
            }
        }
        return new Attribute(name, type, f, i, s, t, g, floats, ints, strings, hasGraph);
    }

    private static ValueInfo valueInfo(CodedInputStream in) throws IOException {
        String name = "";
        int[] elem = {0};
        List<Object> dims = new ArrayList<>();
        boolean[] hasShape = {false};
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = in.readString();
                case 2 -> message(in, 0, (s, d) -> {
                    int t;
                    while ((t = s.readTag()) != 0) {
                        if (WireFormat.getTagFieldNumber(t) == 1) {
                            message(s, 0, (s2, d2) -> {
                                tensorType(s2, elem, dims, hasShape);
                                return null;
                            });
                        } else {
                            s.skipField(t);
                        }
                    }
                    return null;
                });
                default -> in.skipField(tag);
            }
        }
        return new ValueInfo(name, elem[0], hasShape[0] ? dims : null);
    }

    /** TypeProto.Tensor {elem_type 1, shape 2}; a dimension: dim_value 1 (a Long) or dim_param 2 (a String). */
    private static void tensorType(CodedInputStream in, int[] elem, List<Object> dims, boolean[] hasShape)
            throws IOException {
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> elem[0] = in.readInt32();
                case 2 -> {
                    hasShape[0] = true;
                    message(in, 0, (s, d) -> {
                        int t;
                        while ((t = s.readTag()) != 0) {
                            if (WireFormat.getTagFieldNumber(t) == 1) {
                                dims.add(message(s, 0, (s2, d2) -> dimension(s2)));
                            } else {
                                s.skipField(t);
                            }
                        }
                        return null;
                    });
                }
                default -> in.skipField(tag);
            }
        }
    }

    private static Object dimension(CodedInputStream in) throws IOException {
        Object v = "?";
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> v = in.readInt64();
                case 2 -> v = in.readString();
                default -> in.skipField(tag);
            }
        }
        return v;
    }

    private static TensorProto tensor(CodedInputStream in) throws IOException {
        String name = "";
        int type = 0;
        List<Long> dims = new ArrayList<>();
        byte[] raw = null;
        List<Float> floats = new ArrayList<>();
        List<Long> int32s = new ArrayList<>();
        List<Long> int64s = new ArrayList<>();
        List<Double> doubles = new ArrayList<>();
        boolean external = false;
        int tag;
        while ((tag = in.readTag()) != 0) {
            int wire = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> readLongs(in, wire, dims);
                case 2 -> type = in.readInt32();
                case 4 -> readFloats(in, wire, floats);
                case 5 -> readLongs(in, wire, int32s);
                case 7, 11 -> readLongs(in, wire, int64s);
                case 8 -> name = in.readString();
                case 9 -> raw = in.readByteArray();
                case 10 -> readDoubles(in, wire, doubles);
                case 14 -> external = in.readInt32() == 1;
                default -> in.skipField(tag);
            }
        }
        float[] f = new float[floats.size()];
        for (int k = 0; k < f.length; k++) {
            f[k] = floats.get(k);
        }
        int[] i32 = int32s.stream().mapToInt(Long::intValue).toArray();
        return new TensorProto(name, type, dims.stream().mapToLong(Long::longValue).toArray(), raw, f, i32,
                int64s.stream().mapToLong(Long::longValue).toArray(), doubles.stream().mapToDouble(Double::doubleValue)
                .toArray(), external);
    }

    private static void readLongs(CodedInputStream in, int wire, List<Long> out) throws IOException {
        if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int old = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readInt64());
            }
            in.popLimit(old);
        } else {
            out.add(in.readInt64());
        }
    }

    private static void readFloats(CodedInputStream in, int wire, List<Float> out) throws IOException {
        if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int old = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readFloat());
            }
            in.popLimit(old);
        } else {
            out.add(in.readFloat());
        }
    }

    private static void readDoubles(CodedInputStream in, int wire, List<Double> out) throws IOException {
        if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int old = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readDouble());
            }
            in.popLimit(old);
        } else {
            out.add(in.readDouble());
        }
    }

    /** Parses a TensorProto alone (the backend test data's {@code input_0.pb} files). */
    public static TensorProto parseTensor(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        return tensor(in);
    }
}
