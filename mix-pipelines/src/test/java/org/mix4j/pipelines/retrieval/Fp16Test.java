package org.mix4j.pipelines.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** fp16 conversions against PyTorch's own {@code half()} (through DJL), an independent implementation. */
class Fp16Test {

    @Test
    void decodesEveryHalfValueAsPyTorchDoes() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = (short) i;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(2 * all.length).order(ByteOrder.nativeOrder());
            b.asShortBuffer().put(all);
            float[] expected = m.create(b, new Shape(all.length), DataType.FLOAT16).toType(DataType.FLOAT32, false)
                    .toFloatArray();
            for (int i = 0; i < all.length; i++) {
                float actual = Fp16.toFloat(all[i]);
                if (Float.isNaN(expected[i])) {
                    assertTrue(Float.isNaN(actual), "bits " + Integer.toHexString(i));
                } else {
                    assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual),
                            "bits " + Integer.toHexString(i));
                }
            }
        }
    }

    @Test
    void roundsFloatsToNearestEvenAsPyTorchDoes() {
        Random random = new Random(7);
        float[] values = new float[200_000];
        int n = 0;
        float[] edges = {0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, 65536f, 1e-8f, -1e-8f, 0x1p-24f, 0x1p-25f,
            0x1.8p-25f, 0x1p-14f, 0x1.ffcp-15f, 0x1.002p0f, 0x1.003p0f, 0x1.001p0f, 0x1.0018p-3f,
            Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float e : edges) {
            values[n++] = e;
        }
        while (n < values.length) {
            // random bit patterns in the fp16 range and below it, plus unit-vector-sized values
            values[n++] = n % 3 == 0 ? (float) random.nextGaussian() * 0.05f
                    : Float.intBitsToFloat(random.nextInt(0x4780_0000 - 0x2f00_0000) + 0x2f00_0000) * (n % 2 == 0 ? 1 : -1);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray half = m.create(values).toType(DataType.FLOAT16, false);
            ShortBuffer expected = half.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer();
            for (int i = 0; i < values.length; i++) {
                assertEquals(expected.get(i), Fp16.fromFloat(values[i]), "value " + values[i] + " (" + Float.toHexString(values[i]) + ")");
            }
        }
    }

    @Test
    void keepsNanANan() {
        assertTrue(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(Float.NaN))));
    }
}
