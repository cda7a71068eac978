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
import org.mix4j.nn.Activation;
import org.mix4j.tensor.TensorParallel;
import org.mix4j.weights.RandomWeights;
import org.mix4j.weights.Weights;

class LayersTest {

    private NDManager manager;
    private Weights weights;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        weights = new RandomWeights(manager, DataType.FLOAT32, 7);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void groupNormNormalisesEachGroupOverItsChannelsAndPositions() {
        int b = 2;
        int c = 6;
        int groups = 3;
        int hw = 12;
        NDArray x = manager.randomNormal(3, 2, new Shape(b, c, 3, 4), DataType.FLOAT32);
        float[] actual = GroupNorm.load(weights, "norm", groups, c, 1e-5).forward(x).toFloatArray();
        float[] in = x.toFloatArray();
        int perGroup = c / groups * hw;
        for (int n = 0; n < b; n++) {
            for (int g = 0; g < groups; g++) {
                int start = (n * c + g * (c / groups)) * hw;
                double mean = 0;
                for (int i = 0; i < perGroup; i++) {
                    mean += in[start + i];
                }
                mean /= perGroup;
                double var = 0;
                for (int i = 0; i < perGroup; i++) {
                    var += (in[start + i] - mean) * (in[start + i] - mean);
                }
                var /= perGroup;
                for (int i = 0; i < perGroup; i++) {
                    double expected = (in[start + i] - mean) / Math.sqrt(var + 1e-5); // norm scale 1, bias 0
                    assertEquals(expected, actual[start + i], 1e-5);
                }
            }
        }
    }

    @Test
    void attentionGivesTheSameResultWhenTheScoresAreSplitByHead() {
        MultiHeadAttention whole = MultiHeadAttention.load(weights, "attn.", 8, 6, 2, 4, false,
                TensorParallel.SERIAL);
        NDArray x = manager.randomNormal(new Shape(3, 10, 8));
        NDArray context = manager.randomNormal(new Shape(3, 5, 6));
        NDArray expected = whole.forward(x, context);
        NDArray chunked = whole.withMaxScoreElements(2 * 50).forward(x, context); // 2 of 6 heads at a time
        assertEquals(new Shape(3, 10, 8), chunked.getShape());
        assertTrue(DiffusionFixtures.maxAbsDiff(expected, chunked) < 1e-6);
    }

    @Test
    void attentionGivesTheSameResultWhenOneHeadsScoresAreSplitByRow() {
        MultiHeadAttention whole = MultiHeadAttention.load(weights, "attn.", 8, 6, 2, 4, false,
                TensorParallel.SERIAL);
        NDArray x = manager.randomNormal(new Shape(3, 10, 8));
        NDArray context = manager.randomNormal(new Shape(3, 5, 6));
        NDArray expected = whole.forward(x, context);
        NDArray blocked = whole.withMaxScoreElements(20).forward(x, context); // 4 query rows of one head at a time
        assertEquals(new Shape(3, 10, 8), blocked.getShape());
        assertTrue(DiffusionFixtures.maxAbsDiff(expected, blocked) < 1e-6);
    }

    @Test
    void scopedForwardLeavesOnlyItsResultInTheCallersManager() {
        ResnetBlock2d resnet = ResnetBlock2d.load(weights, "res.", 4, 8,
                new ResnetBlock2d.Spec(2, 1e-6, Activation.SILU, 16, 1.0, false), TensorParallel.SERIAL);
        NDArray x = manager.randomNormal(new Shape(1, 4, 5, 5));
        NDArray temb = manager.randomNormal(new Shape(1, 16));
        int before = manager.getManagedArrays().size();
        NDArray out = resnet.forward(x, temb);
        assertEquals(new Shape(1, 8, 5, 5), out.getShape());
        assertEquals(before + 1, manager.getManagedArrays().size());
        assertEquals(manager, x.getManager(), "inputs go back to their manager");
    }

    @Test
    void batchedConvolutionWithInputChannelsOffTheEightsMatchesEachImageAlone() {
        // batch 2 goes to oneDNN, which got 9-15, 17-23, ... input channels wrong (see Conv2d); batch 1 does not
        for (int in : new int[] {12, 20, 37}) {
            for (int stride : new int[] {1, 2}) {
                Conv2d conv = Conv2d.load(weights, "conv_" + in + "_" + stride, in, 16, 3, stride, 1,
                        TensorParallel.SERIAL);
                NDArray x = manager.randomNormal(new Shape(2, in, 10, 22));
                int before = manager.getManagedArrays().size();
                NDArray batched = conv.forward(x);
                assertEquals(before + 1, manager.getManagedArrays().size(), "the zero channels are freed");
                assertEquals(new Shape(2, 16, 10 / stride, 22 / stride), batched.getShape());
                for (int i = 0; i < 2; i++) {
                    NDArray alone = conv.forward(x.get(i + ":" + (i + 1)).duplicate());
                    double err = DiffusionFixtures.maxAbsDiff(batched.get(i + ":" + (i + 1)), alone);
                    assertTrue(err < 1e-5, in + " channels, stride " + stride + ", image " + i + ": max |err| " + err);
                }
            }
        }
    }
}
