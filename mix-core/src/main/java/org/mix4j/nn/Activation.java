package org.mix4j.nn;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The activation functions a config may name: transformers' {@code ACT2FN} ({@code hidden_act})
 * and diffusers' {@code get_activation} ({@code act_fn}), bound from their lower-case names. Each
 * result lives in the manager of the activation (the forward's scope).
 */
public enum Activation implements UnaryOperator<NDArray> {
    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}: PyTorch's fused kernel ({@code nn.GELU()}). */
    GELU,
    /** transformers' {@code NewGELUActivation}: the tanh approximation. */
    GELU_NEW,
    /** {@code nn.GELU(approximate="tanh")}: the same formula as gelu_new. */
    GELU_PYTORCH_TANH,
    /** {@code x * sigmoid(1.702 x)}: OpenAI CLIP's approximation. */
    QUICK_GELU,
    RELU,
    /** {@code x * sigmoid(x)}; {@link #of} also takes its alias {@code swish}. */
    SILU,
    /** {@code x * tanh(softplus(x))}. */
    MISH;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** The activation of {@code x}, same shape. */
    @Override
    public NDArray apply(NDArray x) {
        return switch (this) {
            case GELU -> ai.djl.nn.Activation.gelu(x);
            case GELU_NEW, GELU_PYTORCH_TANH -> {
                NDArray inner = Autograd.mul(x.add(Autograd.mul(x.pow(3), 0.044715)), SQRT_2_OVER_PI);
                yield Autograd.mul(x.mul(inner.tanh().add(1)), 0.5);
            }
            case QUICK_GELU -> Autograd.muli(ai.djl.nn.Activation.sigmoid(Autograd.mul(x, 1.702)), x);
            case RELU -> ai.djl.nn.Activation.relu(x);
            case SILU -> silu(x);
            case MISH -> ai.djl.nn.Activation.mish(x);
        };
    }

    /** {@code x * sigmoid(x)} (multiplied into the fresh sigmoid array: one allocation, not two). */
    public static NDArray silu(NDArray x) {
        return Autograd.muli(ai.djl.nn.Activation.sigmoid(x), x);
    }

    /** The name as written in YAML and config.json. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The activation called {@code name} (any case), or {@code swish} for silu as diffusers'
     * {@code get_activation} names it. Configs that bind the enum directly accept the constants only.
     *
     * @param key the config key, for the error message
     * @throws IllegalArgumentException for an unknown name, listing the valid ones
     */
    public static Activation of(String name, String key) {
        if (name.equalsIgnoreCase("swish")) {
            return SILU;
        }
        for (Activation a : values()) {
            if (a.key().equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException(key + ": unknown activation '" + name + "'; valid: "
                + String.join(", ", Arrays.stream(values()).map(Activation::key).toList()) + ", swish");
    }
}
