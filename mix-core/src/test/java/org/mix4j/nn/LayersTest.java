package org.mix4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.RandomWeights;
import org.mix4j.weights.Weights;

/** The shared layers against their textbook formulas, written here with plain NDArray ops. */
class LayersTest {

    private NDManager manager;
    private Weights weights;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        weights = new RandomWeights(manager, DataType.FLOAT32, 3); // the same tensor for the same name
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static float maxDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void layerNormKernelEqualsTheFormulaWithBiasedVariance() {
        NDArray x = manager.randomNormal(new Shape(2, 5, 16)).mul(3).add(1);
        NDArray weight = manager.randomNormal(new Shape(16));
        NDArray bias = manager.randomNormal(new Shape(16));
        NDArray centered = x.sub(x.mean(new int[] {-1}, true));
        NDArray expected = centered.div(centered.square().mean(new int[] {-1}, true).add(1e-5).sqrt())
                .mul(weight).add(bias);
        assertTrue(maxDiff(expected, LayerNorm.of(weight, bias, 1e-5).forward(x)) < 1e-5);
    }

    @Test
    void rmsNormScalesByTheRootMeanSquareAndKeepsTheDtype() {
        NDArray x = manager.randomNormal(new Shape(3, 8));
        NDArray weight = manager.randomNormal(new Shape(8));
        NDArray expected = x.div(x.square().mean(new int[] {-1}, true).add(1e-6).sqrt()).mul(weight);
        assertTrue(maxDiff(expected, RmsNorm.of(weight, 1e-6).forward(x)) < 1e-6);
        NDArray half = RmsNorm.of(weight.toType(DataType.FLOAT16, false), 1e-6)
                .forward(x.toType(DataType.FLOAT16, false));
        assertEquals(DataType.FLOAT16, half.getDataType());
        assertTrue(maxDiff(expected, half.toType(DataType.FLOAT32, false)) < 1e-2);
    }

    @Test
    void fusedProjectionsArePlacedSideBySide() {
        NDArray x = manager.randomNormal(new Shape(2, 3, 8));
        Linear q = Linear.load(weights, "q", 8, 4, true, TensorParallel.SERIAL);
        Linear k = Linear.load(weights, "k", 8, 2, true, TensorParallel.SERIAL);
        Linear fused = Linear.fused(weights, List.of("q", "k"), 8, new long[] {4, 2}, true, TensorParallel.SERIAL);
        NDList parts = fused.forward(x).split(new long[] {4}, 2);
        assertTrue(maxDiff(q.forward(x), parts.get(0)) < 1e-6);
        assertTrue(maxDiff(k.forward(x), parts.get(1)) < 1e-6);
        assertEquals(6, fused.outFeatures());
    }

    @Test
    void shardedLayoutInterleavesEqualRowRanges() {
        Linear gate = Linear.load(weights, "gate", 8, 6, false, TensorParallel.SERIAL);
        Linear up = Linear.load(weights, "up", 8, 6, false, TensorParallel.SERIAL);
        Linear shards = Linear.fusedShards(weights, List.of("gate", "up"), 8, 6, false, 2, TensorParallel.SERIAL);
        NDArray x = manager.randomNormal(new Shape(1, 8));
        NDArray g = gate.forward(x);
        NDArray u = up.forward(x);
        NDArray y = shards.forward(x); // gate[0:3] | up[0:3] | gate[3:6] | up[3:6]
        NDArray expected = NDArrays.concat(new NDList(g.get(":, 0:3"), u.get(":, 0:3"), g.get(":, 3:6"),
                u.get(":, 3:6")), 1);
        assertTrue(maxDiff(expected, y) < 1e-6);
    }

    @Test
    void groupedAttentionEqualsRepeatedKeysAndValues() {
        NDArray q = manager.randomNormal(new Shape(2, 4, 3, 8)); // 4 query heads
        NDArray k = manager.randomNormal(new Shape(2, 2, 5, 8)); // 2 key/value heads
        NDArray v = manager.randomNormal(new Shape(2, 2, 5, 8));
        NDArray padding = manager.create(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, new Shape(2, 5));
        NDArray mask = AttentionMasks.padding(padding, DataType.FLOAT32); // [2, 1, 1, 5]
        NDArray kRepeated = k.repeat(1, 2); // head h reads key head h / 2
        NDArray vRepeated = v.repeat(1, 2);
        NDArray expected = q.matMul(kRepeated.swapAxes(2, 3)).div(Math.sqrt(8)).add(mask).softmax(-1).matMul(vRepeated);
        assertTrue(maxDiff(expected, Attention.grouped(q, k, v, mask)) < 1e-5);
    }
}
