package org.mix4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** Activations against closed-form values computed here in double precision. */
class ActivationTest {

    private static final float[] X = {-3f, -1f, -0.25f, 0f, 0.5f, 1f, 2.5f};

    private static float[] apply(Activation a) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(X);
            return a.apply(x).toFloatArray();
        }
    }

    @Test
    void quickGeluIsXTimesSigmoidOf1702X() {
        float[] y = apply(Activation.QUICK_GELU);
        for (int i = 0; i < X.length; i++) {
            assertEquals(X[i] / (1 + Math.exp(-1.702 * X[i])), y[i], 1e-6, "x=" + X[i]);
        }
    }

    @Test
    void geluIsTheExactNormalCdfForm() {
        float[] y = apply(Activation.GELU);
        // x * Phi(x) at points where Phi is tabulated: Phi(1) = 0.8413447460685429, Phi(-1) = 1 - Phi(1)
        assertEquals(0.8413447460685429, y[5], 1e-6);
        assertEquals(-0.15865525393145707, y[1], 1e-6);
        assertEquals(0.0, y[3], 0.0);
    }

    @Test
    void tanhGeluVariantsFollowTheTanhFormula() {
        for (Activation a : new Activation[] {Activation.GELU_PYTORCH_TANH, Activation.GELU_NEW}) {
            float[] y = apply(a);
            for (int i = 0; i < X.length; i++) {
                double x = X[i];
                double expected = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
                assertEquals(expected, y[i], 1e-6, a + " x=" + x);
            }
        }
    }

    @Test
    void reluAndSiluMatchTheirDefinitions() {
        float[] relu = apply(Activation.RELU);
        float[] silu = apply(Activation.SILU);
        for (int i = 0; i < X.length; i++) {
            assertEquals(Math.max(0, X[i]), relu[i], 0.0);
            assertEquals(X[i] / (1 + Math.exp(-X[i])), silu[i], 1e-6);
        }
    }
}
