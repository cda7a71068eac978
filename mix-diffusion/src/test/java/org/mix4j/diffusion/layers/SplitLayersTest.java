package org.mix4j.diffusion.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.nn.Linear;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.RandomWeights;
import org.mix4j.weights.Weights;

/** Convolutions, linear maps and attention split over two threads give the unsplit results. */
class SplitLayersTest {

    private NDManager manager;
    private Weights weights;
    private int ways;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        weights = new RandomWeights(manager, DataType.FLOAT32, 11);
        ways = TensorParallel.ways();
    }

    @AfterEach
    void close() {
        TensorParallel.setWays(ways);
        manager.close();
    }

    private NDArray both(java.util.function.Supplier<NDArray> f, float tolerance) {
        TensorParallel.setWays(1);
        NDArray whole = f.get();
        TensorParallel.setWays(2);
        NDArray split = f.get();
        assertEquals(whole.getShape(), split.getShape());
        double diff = DiffusionFixtures.maxAbsDiff(whole, split);
        assertTrue(diff <= tolerance, "split result differs by " + diff);
        return split;
    }

    @Test
    void convolutionSplitByOutputChannels() {
        Conv2d same = Conv2d.same(weights, "conv", 32, 64, 3); // 19M multiply-adds: above the split size
        Conv2d strided = Conv2d.load(weights, "down", 32, 64, 3, 2, 1);
        NDArray x = manager.randomNormal(new Shape(1, 32, 32, 32));
        assertEquals(new Shape(1, 64, 32, 32), both(() -> same.forward(x), 1e-5f).getShape());
        NDArray big = manager.randomNormal(new Shape(2, 32, 64, 64));
        assertEquals(new Shape(2, 64, 32, 32), both(() -> strided.forward(big), 1e-5f).getShape());
    }

    @Test
    void linearSplitByOutputColumns() {
        Linear linear = Linear.load(weights, "proj", 256, 640);
        NDArray x = manager.randomNormal(new Shape(2, 16, 256));
        both(() -> linear.forward(x), 1e-5f);
    }

    @Test
    void attentionSplitByHeadsAndBlockedByRows() {
        MultiHeadAttention attention = MultiHeadAttention.load(weights, "attn.", 32, 32, 2, 16, false);
        NDArray x = manager.randomNormal(new Shape(2, 256, 32)); // 4 heads x 256 x 256 x 16 per product
        both(() -> attention.forward(x, null), 1e-5f);
        both(() -> attention.withMaxScoreElements(1000).forward(x, null), 1e-5f); // rows of 3 queries
    }
}
