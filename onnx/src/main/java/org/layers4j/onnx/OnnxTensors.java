package org.layers4j.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.layers4j.Shape;
import org.layers4j.io.HostTensor;

/**
 * TensorProto values as host arrays: FLOAT as is, FLOAT16 / BFLOAT16 / DOUBLE converted to float32, the
 * integer types and BOOL as int64. Strings, complex and 8-bit floats are refused. Every element count is
 * checked against the bytes present before anything is allocated.
 */
final class OnnxTensors {
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int UINT16 = 4;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int STRING = 8;
    static final int BOOL = 9;
    static final int FLOAT16 = 10;
    static final int DOUBLE = 11;
    static final int UINT32 = 12;
    static final int UINT64 = 13;
    static final int BFLOAT16 = 16;

    private OnnxTensors() {
    }

    static boolean isFloatType(int t) {
        return t == FLOAT || t == FLOAT16 || t == DOUBLE || t == BFLOAT16;
    }

    static boolean isIntegerType(int t) {
        return t == UINT8 || t == INT8 || t == UINT16 || t == INT16 || t == INT32 || t == INT64 || t == BOOL
                || t == UINT32 || t == UINT64;
    }

    static boolean isSupported(int t) {
        return isFloatType(t) || isIntegerType(t);
    }

    static String typeName(int t) {
        return switch (t) {
            case FLOAT -> "float";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            case UINT16 -> "uint16";
            case INT16 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case STRING -> "string";
            case BOOL -> "bool";
            case FLOAT16 -> "float16";
            case DOUBLE -> "double";
            case UINT32 -> "uint32";
            case UINT64 -> "uint64";
            case 14 -> "complex64";
            case 15 -> "complex128";
            case BFLOAT16 -> "bfloat16";
            default -> "type " + t;
        };
    }

    private static int byteSize(int t) {
        return switch (t) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16, FLOAT16, BFLOAT16 -> 2;
            case FLOAT, INT32, UINT32 -> 4;
            default -> 8;
        };
    }

    /** The tensor's values; IOException for an unsupported type or values that do not match its dims. */
    static NdArray toArray(OnnxProto.TensorProto t) throws IOException {
        String what = "tensor '" + t.name() + "'";
        if (t.external()) {
            throw new OnnxUnsupportedException(what + ": external data is not supported");
        }
        if (!isSupported(t.dataType())) {
            throw new OnnxUnsupportedException(what + ": data type " + typeName(t.dataType()) + " is not supported"
                    + " (float, float16, bfloat16, double and the integer types are)");
        }
        int[] dims = new int[t.dims().length];
        for (int i = 0; i < dims.length; i++) {
            if (t.dims()[i] < 0 || t.dims()[i] > Integer.MAX_VALUE) {
                throw new IOException(what + ": invalid dimension " + t.dims()[i]);
            }
            dims[i] = (int) t.dims()[i];
        }
        long count = NdArray.count(dims);
        int type = t.dataType();
        boolean integer = isIntegerType(type);
        long available;
        if (t.raw() != null) {
            available = t.raw().length / byteSize(type);
            if ((long) t.raw().length != count * byteSize(type)) {
                throw new IOException(what + ": raw_data holds " + t.raw().length + " bytes, the shape "
                        + java.util.Arrays.toString(dims) + " of " + typeName(type) + " needs " + count * byteSize(type));
            }
        } else {
            available = switch (type) {
                case FLOAT -> t.floats().length;
                case DOUBLE -> t.doubles().length;
                case INT64, UINT32, UINT64 -> t.int64s().length;
                default -> t.int32s().length;
            };
            if (available != count) {
                throw new IOException(what + ": holds " + available + " values, its shape "
                        + java.util.Arrays.toString(dims) + " needs " + count);
            }
        }
        double[] v = new double[(int) count];
        if (t.raw() != null) {
            ByteBuffer b = ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < v.length; i++) {
                v[i] = switch (type) {
                    case FLOAT -> b.getFloat();
                    case DOUBLE -> (float) b.getDouble();
                    case FLOAT16 -> halfToFloat(b.getShort());
                    case BFLOAT16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                    case UINT8, BOOL -> b.get() & 0xff;
                    case INT8 -> b.get();
                    case UINT16 -> b.getShort() & 0xffff;
                    case INT16 -> b.getShort();
                    case INT32 -> b.getInt();
                    case UINT32 -> b.getInt() & 0xffffffffL;
                    default -> b.getLong();
                };
            }
        } else {
            for (int i = 0; i < v.length; i++) {
                v[i] = switch (type) {
                    case FLOAT -> t.floats()[i];
                    case DOUBLE -> (float) t.doubles()[i];
                    case INT64, UINT32, UINT64 -> t.int64s()[i];
                    case FLOAT16 -> halfToFloat((short) t.int32s()[i]);
                    case BFLOAT16 -> Float.intBitsToFloat((t.int32s()[i] & 0xffff) << 16);
                    default -> t.int32s()[i];
                };
            }
        }
        return new NdArray(dims, v, integer);
    }

    /** IEEE 754 binary16 bits to float (Float.float16ToFloat arrived after Java 17). */
    static float halfToFloat(int bits) {
        int h = bits & 0xffff;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static HostTensor toHost(NdArray a) {
        Shape s = Shape.of(a.shape);
        if (a.integer) {
            return HostTensor.ofLongs(s, a.longs());
        }
        float[] f = new float[a.data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.data[i];
        }
        return new HostTensor(s, f);
    }
}
