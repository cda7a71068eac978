package org.mix4j.encoders.layers;

import ai.djl.ndarray.NDArray;

/**
 * The {@code hidden_act} values of Hugging Face configs (transformers' {@code ACT2FN}) that the
 * encoders here use. Each is written with NDArray ops on the activation, so the result lives in the
 * activation's (forward) scope.
 */
public enum Activation {
    /** {@code x * sigmoid(1.702 x)}: OpenAI CLIP's approximation. */
    QUICK_GELU {
        @Override
        public NDArray apply(NDArray x) {
            return x.div(x.mul(-1.702).exp().add(1));
        }
    },
    /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))} (torch's default). */
    GELU {
        @Override
        public NDArray apply(NDArray x) {
            return x.mul(x.mul(INV_SQRT2).erf().add(1)).mul(0.5);
        }
    },
    /** The tanh approximation, {@code nn.GELU(approximate="tanh")}. */
    GELU_PYTORCH_TANH {
        @Override
        public NDArray apply(NDArray x) {
            return tanhGelu(x);
        }
    },
    /** transformers' {@code NewGELUActivation}: the same tanh formula. */
    GELU_NEW {
        @Override
        public NDArray apply(NDArray x) {
            return tanhGelu(x);
        }
    },
    RELU {
        @Override
        public NDArray apply(NDArray x) {
            return x.maximum(0);
        }
    },
    /** {@code x * sigmoid(x)}. */
    SILU {
        @Override
        public NDArray apply(NDArray x) {
            return x.div(x.neg().exp().add(1));
        }
    };

    private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** The activation of {@code x}, same shape. */
    public abstract NDArray apply(NDArray x);

    private static NDArray tanhGelu(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
        return x.mul(inner.tanh().add(1)).mul(0.5);
    }
}
