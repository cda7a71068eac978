package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;

/** How a {@link PackedMatrix} holds its weights: what {@code quantize: int8}, {@code fp16} and {@code fp32} ask for. */
public enum WeightFormat {
    /** One byte a weight and a scale per output row ({@link Int8Matrix}). */
    INT8("int8", 1),
    /** IEEE half precision, two bytes a weight ({@link HalfMatrix}). */
    FP16("fp16", 2),
    /** Float32, four bytes a weight, nothing rounded ({@link FloatMatrix}): the decode step on Java arrays for a float model. */
    FP32("fp32", 4);

    private final String label;
    private final int bytes;

    WeightFormat(String label, int bytes) {
        this.label = label;
        this.bytes = bytes;
    }

    /** Bytes a weight takes (int8's per-row scales add about 0.1%). */
    public int bytesPerWeight() {
        return bytes;
    }

    /** The YAML spelling. */
    public String label() {
        return label;
    }

    /**
     * {@code weight} ({@code [out, in]}, any floating type, left open) in this format; {@code name} is
     * for messages. A weight the Java heap has no room for is refused before anything is copied,
     * saying how much it needs and how to give the JVM more.
     */
    public PackedMatrix pack(String name, NDArray weight) {
        long need = weight.getShape().size() * bytes;
        Runtime jvm = Runtime.getRuntime();
        if (need > free(jvm)) {
            System.gc(); // what is free after a collection is what counts
            if (need > free(jvm)) {
                throw new IllegalStateException(String.format(java.util.Locale.ROOT, "%s: quantize: %s needs %.0f MiB of "
                        + "Java heap for this weight, %.0f MiB of the JVM's %.0f MiB (-Xmx) are free; give the JVM more "
                        + "(./mix: MIX_JAVA_OPTS=-Xmx16g) or load it with quantize: none", name, label, need / 1048576.0,
                        free(jvm) / 1048576.0, jvm.maxMemory() / 1048576.0));
            }
        }
        return switch (this) {
            case INT8 -> Int8Matrix.quantize(weight);
            case FP16 -> HalfMatrix.quantize(name, weight);
            case FP32 -> FloatMatrix.of(name, weight);
        };
    }

    private static long free(Runtime jvm) {
        return jvm.maxMemory() - (jvm.totalMemory() - jvm.freeMemory());
    }
}
