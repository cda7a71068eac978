package org.mix4j.tensor;

import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * The floating-point types models can be loaded and run in. Every path that turns a user's
 * {@code dtype} into tensors goes through {@link #require}, so an unusable type is a clear error
 * instead of a crash.
 *
 * <p>bfloat16 is refused: DJL 0.35.1's PyTorch bindings abort the whole process (a native
 * {@code terminate}, no Java exception) as soon as a bfloat16 tensor is created or cast to. BF16
 * checkpoints still load: the safetensors reader widens them to float32 while reading, and
 * {@code dtype: float16} halves the memory again.
 */
public final class ComputeTypes {

    /** The names accepted for {@code dtype}, in the order errors list them. */
    public static final List<String> NAMES = List.of("float32", "float16");

    private ComputeTypes() {}

    /**
     * The DJL type for {@code name}.
     *
     * @throws IllegalArgumentException naming the allowed types, and for {@code bfloat16} why
     */
    public static DataType parse(String name) {
        return switch (name) {
            case "float32" -> DataType.FLOAT32;
            case "float16" -> DataType.FLOAT16;
            default -> throw new IllegalArgumentException(problem(name));
        };
    }

    /**
     * Checks a type that is about to be used for weights or activations (float64 is allowed here
     * for reference checks through the API, not offered in YAML); returns it.
     */
    public static DataType require(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException(problem(type.name().toLowerCase(java.util.Locale.ROOT)));
        }
        return type;
    }

    /** Why {@code name} cannot be used, in one sentence fit for an error message. */
    public static String problem(String name) {
        if ("bfloat16".equals(name)) {
            return "dtype 'bfloat16' cannot run on this engine: DJL 0.35.1's PyTorch bindings abort the process on "
                    + "bfloat16 tensors; use float32 or float16 (BF16 checkpoints load as either)";
        }
        return "dtype '" + name + "' is not one of " + NAMES;
    }
}
