package org.mix4j.weights;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * One entry of a safetensors header, already validated.
 *
 * @param name the checkpoint name
 * @param dtype the stored element type
 * @param shape the stored shape
 * @param begin first byte, relative to the start of the data section
 * @param end one past the last byte
 */
public record TensorInfo(String name, SafeDType dtype, Shape shape, long begin, long end) {

    public long byteSize() {
        return end - begin;
    }

    /** The DJL type the tensor is materialized as before any conversion (see {@link SafeDType#loadedType()}). */
    public DataType dataType() {
        return dtype.loadedType();
    }
}
