package org.mix4j.weights;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The safetensors element types mix4j reads. */
public enum SafeDType {
    F32(DataType.FLOAT32, 4),
    F16(DataType.FLOAT16, 2),
    BF16(DataType.BFLOAT16, 2),
    F64(DataType.FLOAT64, 8),
    I64(DataType.INT64, 8),
    I32(DataType.INT32, 4),
    I16(DataType.INT16, 2),
    I8(DataType.INT8, 1),
    U8(DataType.UINT8, 1),
    BOOL(DataType.BOOLEAN, 1);

    private final DataType dataType;
    private final int bytes;

    SafeDType(DataType dataType, int bytes) {
        this.dataType = dataType;
        this.bytes = bytes;
    }

    public DataType dataType() {
        return dataType;
    }

    /**
     * The type the tensor has once loaded. BF16 is widened to F32 and I16 to I32 while reading,
     * because DJL 0.35.1's PyTorch JNI aborts the process on bfloat16 and int16 tensors.
     */
    public DataType loadedType() {
        return switch (this) {
            case BF16 -> DataType.FLOAT32;
            case I16 -> DataType.INT32;
            default -> dataType;
        };
    }

    public int bytes() {
        return bytes;
    }

    /** Parses a header dtype string; {@code null} when unknown. */
    static SafeDType parse(String name) {
        for (SafeDType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    static String known() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
