package org.mix4j.diffusion.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.Function;
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

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        weights = new RandomWeights(manager, DataType.FLOAT32, 11); // the same tensor for the same name
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** {@code f} of a layer built for one thread and of the same layer built for two. */
    private NDArray both(Function<TensorParallel, NDArray> f, float tolerance) {
        NDArray whole = f.apply(TensorParallel.SERIAL);
        NDArray split = f.apply(TensorParallel.of(2));
        assertEquals(whole.getShape(), split.getShape());
        double diff = DiffusionFixtures.maxAbsDiff(whole, split);
        assertTrue(diff <= tolerance, "split result differs by " + diff);
        return split;
    }

    @Test
    void convolutionSplitByOutputChannels() {
        NDArray x = manager.randomNormal(new Shape(1, 32, 32, 32)); // 19M multiply-adds: above the split size
        assertEquals(new Shape(1, 64, 32, 32),
                both(p -> Conv2d.same(weights, "conv", 32, 64, 3, p).forward(x), 1e-5f).getShape());
        NDArray big = manager.randomNormal(new Shape(2, 32, 64, 64));
        assertEquals(new Shape(2, 64, 32, 32),
                both(p -> Conv2d.load(weights, "down", 32, 64, 3, 2, 1, p).forward(big), 1e-5f).getShape());
    }

    @Test
    void linearSplitByOutputColumns() {
        NDArray x = manager.randomNormal(new Shape(2, 16, 256));
        both(p -> Linear.load(weights, "proj", 256, 640, p).forward(x), 1e-5f);
    }

    @Test
    void attentionSplitByHeadsAndBlockedByRows() {
        NDArray x = manager.randomNormal(new Shape(2, 256, 32)); // 4 heads x 256 x 256 x 16 per product
        both(p -> MultiHeadAttention.load(weights, "attn.", 32, 32, 2, 16, false, p).forward(x, null), 1e-5f);
        both(p -> MultiHeadAttention.load(weights, "attn.", 32, 32, 2, 16, false, p).withMaxScoreElements(1000)
                .forward(x, null), 1e-5f); // rows of 3 queries
    }
}
