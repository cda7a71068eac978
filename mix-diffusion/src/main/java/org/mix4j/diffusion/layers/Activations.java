package org.mix4j.diffusion.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/** diffusers' {@code get_activation}: the activation functions a config may name. */
public final class Activations {

    /** Names accepted by {@link #of}. */
    public static final List<String> NAMES = List.of("silu", "swish", "mish", "gelu", "relu");

    private Activations() {}

    /**
     * @param key the config key, for the error message
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    public static UnaryOperator<NDArray> of(String name, String key) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "silu", "swish" -> Activations::silu;
            case "mish" -> Activation::mish;
            case "gelu" -> Activation::gelu;
            case "relu" -> Activation::relu;
            default -> throw new IllegalArgumentException(
                    key + ": unknown activation '" + name + "'; valid: " + String.join(", ", NAMES));
        };
    }

    /** {@code x * sigmoid(x)} (multiplied into the fresh sigmoid array: one allocation, not two). */
    public static NDArray silu(NDArray x) {
        return Activation.sigmoid(x).muli(x);
    }
}
