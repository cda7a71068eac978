package org.mix4j.encoders.layers;

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

    private NDManager manager;
    private int ways;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        ways = TensorParallel.ways();
    }

    @AfterEach
    void close() {
        TensorParallel.setWays(ways);
        manager.close();
    }

    @Test
    void headsOnTwoThreadsGiveTheSameContext() {
        // [B, H, T, Dh] large enough to be split: 2 x 4 x 256 x 256 x 32 multiply-adds per product
        NDArray q = manager.randomNormal(new Shape(2, 4, 256, 32));
        NDArray k = manager.randomNormal(new Shape(2, 4, 256, 32));
        NDArray v = manager.randomNormal(new Shape(2, 4, 256, 32));
        NDArray mask = Attention.causalMask(manager, 256, DataType.FLOAT32);
        TensorParallel.setWays(1);
        NDArray whole = Attention.scaledDotProduct(q, k, v, mask);
        TensorParallel.setWays(2);
        NDArray split = Attention.scaledDotProduct(q, k, v, mask);
        assertEquals(whole.getShape(), split.getShape());
        assertTrue(whole.sub(split).abs().max().getFloat() < 1e-6);
    }

    @Test
    void columnsOnTwoThreadsGiveTheSameProduct() {
        NDArray weight = manager.randomNormal(new Shape(600, 512)); // [out, in]
        Linear linear = new Linear(weight.transpose(), manager.randomNormal(new Shape(600)));
        NDArray x = manager.randomNormal(new Shape(2, 5, 512));
        TensorParallel.setWays(1);
        NDArray whole = linear.forward(x);
        TensorParallel.setWays(2);
        NDArray split = linear.forward(x);
        assertEquals(new Shape(2, 5, 600), split.getShape());
        assertTrue(whole.sub(split).abs().max().getFloat() < 1e-5);
    }
}
