package org.mix4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;

/** Attention and linear layers give the same result when their heads / columns run on two threads. */
class AttentionSplitTest {

    private static final TensorParallel TWO = TensorParallel.of(2);

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void headsOnTwoThreadsGiveTheSameContext() {
        // [B, H, T, Dh] large enough to be split: 2 x 4 x 256 x 256 x 32 multiply-adds per product
        NDArray q = manager.randomNormal(new Shape(2, 4, 256, 32));
        NDArray k = manager.randomNormal(new Shape(2, 4, 256, 32));
        NDArray v = manager.randomNormal(new Shape(2, 4, 256, 32));
        NDArray mask = AttentionMasks.causal(manager, 256, DataType.FLOAT32);
        NDArray whole = Attention.scaledDotProduct(q, k, v, mask, TensorParallel.SERIAL);
        NDArray split = Attention.scaledDotProduct(q, k, v, mask, TWO);
        assertEquals(whole.getShape(), split.getShape());
        assertTrue(whole.sub(split).abs().max().getFloat() < 1e-6);
    }

    @Test
    void largeAttentionComputedInBlocksOfHeadsEqualsTheDirectFormula() {
        // 3 images x 4 heads x 600 x 600 scores: 4.3 M elements, above the block limit, so the
        // heads run two at a time (600 x 600 = 360 k each), per image
        NDArray q = manager.randomNormal(new Shape(3, 4, 600, 16));
        NDArray k = manager.randomNormal(new Shape(3, 4, 600, 16));
        NDArray v = manager.randomNormal(new Shape(3, 4, 600, 16));
        assertTrue(3L * 4 * 600 * 600 > Attention.MAX_SCORE_ELEMENTS);
        NDArray padding = manager.ones(new Shape(3, 600), DataType.INT64);
        padding.set(new ai.djl.ndarray.index.NDIndex("1, 500:"), 0); // image 1 has 100 padding tokens
        NDArray perImage = AttentionMasks.causal(manager, 600, DataType.FLOAT32)
                .add(AttentionMasks.padding(padding, DataType.FLOAT32)); // [3, 1, 600, 600]
        NDArray perHead = manager.randomNormal(new Shape(3, 4, 600, 600)); // a mask that differs per head
        for (NDArray mask : new NDArray[] {null, perImage, perHead}) {
            NDArray blocked = Attention.scaledDotProduct(q, k, v, mask, TensorParallel.SERIAL);
            NDArray scores = q.matMul(k.swapAxes(2, 3));
            NDArray expected = (mask == null ? scores : scores.add(mask)).softmax(-1).matMul(v);
            assertEquals(new Shape(3, 4, 600, 16), blocked.getShape());
            assertTrue(expected.sub(blocked).abs().max().getFloat() < 1e-5, "mask " + (mask == null ? null : mask.getShape()));
        }
    }

    @Test
    void columnsOnTwoThreadsGiveTheSameProduct() {
        NDArray weight = manager.randomNormal(new Shape(600, 512)); // [out, in]
        NDArray bias = manager.randomNormal(new Shape(600));
        NDArray x = manager.randomNormal(new Shape(2, 5, 512));
        NDArray whole = Linear.of(weight, bias, TensorParallel.SERIAL).forward(x);
        NDArray split = Linear.of(weight, bias, TWO).forward(x);
        assertEquals(new Shape(2, 5, 600), split.getShape());
        assertTrue(whole.sub(split).abs().max().getFloat() < 1e-5);
    }
}
