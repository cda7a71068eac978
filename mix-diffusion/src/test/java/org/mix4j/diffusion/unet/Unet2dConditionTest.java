package org.mix4j.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mix4j.api.Denoiser;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.Role;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;

class Unet2dConditionTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static Stream<Arguments> randomConfigs() {
        return Stream.of(
                Arguments.of("two blocks, 1x1-conv projections", """
                        type: unet2d_condition
                        init: random
                        block_out_channels: [16, 32]
                        down_block_types: [CrossAttnDownBlock2D, DownBlock2D]
                        up_block_types: [UpBlock2D, CrossAttnUpBlock2D]
                        layers_per_block: 1
                        attention_head_dim: 2
                        cross_attention_dim: 12
                        norm_num_groups: 8
                        """, 4, 4, 12, 8, 12),
                Arguments.of("three blocks, linear projections, per-block lists, odd size", """
                        type: unet2d_condition
                        init: random
                        seed: 3
                        block_out_channels: [8, 16, 24]
                        down_block_types: [CrossAttnDownBlock2D, CrossAttnDownBlock2D, DownBlock2D]
                        up_block_types: [UpBlock2D, CrossAttnUpBlock2D, CrossAttnUpBlock2D]
                        layers_per_block: [1, 2, 1]
                        transformer_layers_per_block: [1, 2, 1]
                        attention_head_dim: [1, 2, 4]
                        use_linear_projection: true
                        cross_attention_dim: 12
                        norm_num_groups: 4
                        """, 4, 4, 12, 10, 14),
                Arguments.of("scale-shift resnets, plain mid block, only cross-attention, other embeddings", """
                        type: unet2d_condition
                        init: random
                        in_channels: 3
                        out_channels: 5
                        block_out_channels: [8, 16]
                        down_block_types: [CrossAttnDownBlock2D, CrossAttnDownBlock2D]
                        up_block_types: [CrossAttnUpBlock2D, CrossAttnUpBlock2D]
                        mid_block_type: UNetMidBlock2D
                        resnet_time_scale_shift: scale_shift
                        only_cross_attention: true
                        flip_sin_to_cos: false
                        freq_shift: 1
                        time_embedding_dim: 20
                        time_embedding_act_fn: silu
                        conv_in_kernel: 1
                        layers_per_block: 1
                        attention_head_dim: [2, 4]
                        cross_attention_dim: [6, 6]
                        norm_num_groups: 4
                        """, 3, 5, 6, 6, 6));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("randomConfigs")
    void randomConfigsFromYamlMapSamplesToSampleShapedOutputs(String name, String yaml, int in, int out,
            int contextDim, int height, int width) {
        try (Denoiser unet = DiffusionFixtures.load("denoiser", Role.DENOISER, yaml, manager)) {
            NDArray sample = manager.randomNormal(new Shape(2, in, height, width));
            NDArray t = manager.create(new long[] {10, 900});
            NDArray context = manager.randomNormal(new Shape(2, 5, contextDim));
            NDArray result = unet.forward(sample, t, context, null);
            assertEquals(new Shape(2, out, height, width), result.getShape());
            assertEquals(in, unet.inChannels());
            assertTrue(result.isInfinite().logicalOr(result.isNaN()).none().getBoolean());
        }
    }

    @Test
    void scalarAndFloatTimestepsMatchOnePerRow() {
        GoldenCase c = new GoldenCase(golden("unet2d_condition"), "unet2d_condition");
        try (Denoiser unet = fixtureUnet(c.dir())) {
            NDArray sample = c.tensor("sample", manager);
            NDArray context = c.tensor("encoder_hidden_states", manager);
            long rows = sample.getShape().get(0);
            long[] perRow = new long[(int) rows];
            java.util.Arrays.fill(perRow, 421);
            NDArray expected = unet.forward(sample, manager.create(perRow), context, null);
            assertEquals(0, maxAbsDiff(expected, unet.forward(sample, manager.create(421L), context, null)));
            assertEquals(0, maxAbsDiff(expected, unet.forward(sample, manager.create(new float[] {421f}), context, null)));
            assertThrows(IllegalArgumentException.class,
                    () -> unet.forward(sample, manager.create(new long[] {1, 2, 3}), context, null));
        }
    }

    /** The prediction is forward's, the state the deepest of its size on the down path; a size it lacks is named. */
    @Test
    void forwardWithFeaturesHandsBackTheDownPathStateOfTheAskedSize() {
        GoldenCase c = new GoldenCase(golden("unet2d_condition"), "unet2d_condition");
        try (Denoiser unet = fixtureUnet(c.dir())) {
            NDArray sample = c.tensor("sample", manager);
            NDArray t = c.tensor("timestep", manager);
            NDArray context = c.tensor("encoder_hidden_states", manager);
            Shape s = sample.getShape();
            Denoiser.Features full = unet.forwardWithFeatures(sample, t, context, s.get(2), s.get(3));
            assertEquals(0, maxAbsDiff(unet.forward(sample, t, context, null), full.prediction()));
            // block 0 (32 channels) at full size; block 1 (64 channels, the last) after one downsampling
            assertEquals(new Shape(s.get(0), 32, s.get(2), s.get(3)), full.hidden().getShape());
            Denoiser.Features half = unet.forwardWithFeatures(sample, t, context, s.get(2) / 2, s.get(3) / 2);
            assertEquals(new Shape(s.get(0), 64, s.get(2) / 2, s.get(3) / 2), half.hidden().getShape());
            String message = assertThrows(IllegalArgumentException.class,
                    () -> unet.forwardWithFeatures(sample, t, context, 3, 3)).getMessage();
            assertTrue(message.contains("3x3") && message.contains(s.get(2) + "x" + s.get(3)), message);
        }
    }

    @Test
    void zeroResidualsEqualNoResidualsAndNonZeroOnesChangeTheOutput() {
        GoldenCase c = new GoldenCase(golden("unet2d_condition"), "unet2d_condition");
        try (Denoiser unet = fixtureUnet(c.dir())) {
            NDArray sample = c.tensor("sample", manager);
            NDArray t = c.tensor("timestep", manager);
            NDArray context = c.tensor("encoder_hidden_states", manager);
            NDArray plain = unet.forward(sample, t, context, null);
            List<Shape> skipShapes = skipShapes(c, sample.getShape());
            Shape midShape = skipShapes.get(skipShapes.size() - 1);

            List<NDArray> zeros = skipShapes.stream().map(manager::zeros).toList();
            NDArray zeroOut = unet.forward(sample, t, context, new DenoiserResiduals(zeros, manager.zeros(midShape)));
            assertEquals(0, maxAbsDiff(plain, zeroOut));

            NDArray midOnly = unet.forward(sample, t, context,
                    new DenoiserResiduals(zeros, manager.ones(midShape)));
            assertTrue(maxAbsDiff(plain, midOnly) > 1e-3, "a mid-block residual must reach the output");

            List<NDArray> firstSkip = new ArrayList<>(zeros);
            firstSkip.set(0, manager.ones(skipShapes.get(0)));
            NDArray skipOnly = unet.forward(sample, t, context, new DenoiserResiduals(firstSkip, manager.zeros(midShape)));
            assertTrue(maxAbsDiff(plain, skipOnly) > 1e-3, "a residual on conv_in's skip must reach the output");

            IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class, () -> unet.forward(sample, t,
                    context, new DenoiserResiduals(zeros.subList(1, zeros.size()), null)));
            assertTrue(tooFew.getMessage().contains("skip connections"), tooFew.getMessage());
        }
    }

    /** Skip shapes of the fixture UNet, derived from its config.json (conv_in, then per down block). */
    private static List<Shape> skipShapes(GoldenCase c, Shape sample) {
        var cfg = c.config();
        long batch = sample.get(0);
        long h = sample.get(2);
        long w = sample.get(3);
        var channels = cfg.getAsJsonArray("block_out_channels");
        int layers = cfg.get("layers_per_block").getAsInt();
        List<Shape> shapes = new ArrayList<>();
        shapes.add(new Shape(batch, channels.get(0).getAsLong(), h, w));
        for (int i = 0; i < channels.size(); i++) {
            for (int l = 0; l < layers; l++) {
                shapes.add(new Shape(batch, channels.get(i).getAsLong(), h, w));
            }
            if (i < channels.size() - 1) {
                h = (h + 1) / 2;
                w = (w + 1) / 2;
                shapes.add(new Shape(batch, channels.get(i).getAsLong(), h, w));
            }
        }
        return shapes;
    }

    @Test
    void repeatedStepsLeaveNoArraysBehind() {
        GoldenCase c = new GoldenCase(golden("unet2d_condition"), "unet2d_condition");
        try (Denoiser unet = fixtureUnet(c.dir())) {
            NDArray sample = c.tensor("sample", manager);
            NDArray t = c.tensor("timestep", manager);
            NDArray context = c.tensor("encoder_hidden_states", manager);
            int before = manager.getManagedArrays().size();
            assertTrue(before > 200, "the count must include the UNet's weights (child manager): " + before);
            NDArray x = sample;
            for (int step = 0; step < 25; step++) {
                NDArray eps = unet.forward(x, t, context, null);
                NDArray next = x.sub(eps.muli(0.01f)); // in place: the test itself must not leave arrays
                eps.close();
                if (x != sample) {
                    x.close();
                }
                x = next;
            }
            x.close();
            assertEquals(before, manager.getManagedArrays().size(), "arrays left behind by 25 UNet steps");
        }
    }

    private Denoiser fixtureUnet(Path dir) {
        return DiffusionFixtures.loader().load("unet2d_condition", Role.DENOISER, dir, Map.of(), manager,
                DataType.FLOAT32);
    }
}
