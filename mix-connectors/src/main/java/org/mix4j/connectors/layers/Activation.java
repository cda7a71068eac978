package org.mix4j.connectors.layers;

import ai.djl.ndarray.NDArray;

/**
 * The activations of transformers' {@code ACT2FN} that connectors use, bound from their
 * Hugging Face names ({@code gelu}, {@code gelu_pytorch_tanh}, ...).
 */
public enum Activation {
    /** Exact GELU with erf, {@code nn.GELU()}. */
    GELU,
    /** Tanh approximation of GELU ({@code gelu_new}). */
    GELU_NEW,
    /** Tanh approximation of GELU, as {@code nn.GELU(approximate="tanh")}; same formula as gelu_new. */
    GELU_PYTORCH_TANH,
    /** {@code x * sigmoid(1.702 x)} (CLIP). */
    QUICK_GELU,
    RELU,
    SILU,
    /** transformers' alias of silu. */
    SWISH;

    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    public NDArray apply(NDArray x) {
        return switch (this) {
            case GELU -> x.mul(x.mul(SQRT_HALF).erf().add(1)).mul(0.5);
            case GELU_NEW, GELU_PYTORCH_TANH -> {
                NDArray inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
                yield x.mul(inner.tanh().add(1)).mul(0.5);
            }
            case QUICK_GELU -> x.mul(ai.djl.nn.Activation.sigmoid(x.mul(1.702)));
            case RELU -> x.maximum(0f);
            case SILU, SWISH -> x.mul(ai.djl.nn.Activation.sigmoid(x));
        };
    }

    /** The name as written in YAML and config.json. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
