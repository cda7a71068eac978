package org.mix4j.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.api.Trainable;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.nn.Autograd;
import org.mix4j.weights.Checkpoint;

/**
 * The UNet lists every checkpoint tensor for training, under its name and in its shape, and listing
 * changes nothing the forward computes: the tensors it lists are the ones it reads.
 */
class Unet2dConditionParametersTest {

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
    void listsExactlyTheTensorsOfTheGoldenUnet() {
        assertListsTheCheckpoint(golden("unet2d_condition"));
    }

    @Test
    void listsExactlyTheTensorsOfThePipelineUnet() {
        assertListsTheCheckpoint(golden("sd_pipeline").resolve("unet"));
    }

    private void assertListsTheCheckpoint(Path dir) {
        Map<String, Shape> expected = new TreeMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            checkpoint.tensors().forEach((name, info) -> expected.put(name, info.shape()));
        }
        try (Denoiser unet = DiffusionFixtures.loader().load("unet2d_condition", Role.DENOISER, dir, Map.of(), manager,
                DataType.FLOAT32)) {
            Map<String, Shape> listed = new TreeMap<>();
            ((Trainable) unet).parameters().forEach((name, t) -> listed.put(name, t.getShape()));
            assertEquals(expected.keySet(), listed.keySet());
            assertEquals(expected, listed);
        }
    }

    /**
     * Channel counts of 12 and 20 make the convolutions pad their kernels with zero input channels at
     * load; listed, they must still give checkpoint-shaped tensors and gradients, the same output,
     * and read the listed tensor (an update changes the output).
     */
    @Test
    void paddedConvolutionsListAndTrainTheirCheckpointShape() {
        String yaml = """
                type: unet2d_condition
                init: random
                seed: 2
                block_out_channels: [12, 20]
                down_block_types: [CrossAttnDownBlock2D, DownBlock2D]
                up_block_types: [UpBlock2D, CrossAttnUpBlock2D]
                layers_per_block: 1
                attention_head_dim: 2
                cross_attention_dim: 6
                norm_num_groups: 4
                """;
        try (Denoiser unet = DiffusionFixtures.load("denoiser", Role.DENOISER, yaml, manager)) {
            NDArray sample = manager.randomNormal(new Shape(2, 4, 8, 8));
            NDArray t = manager.create(new long[] {10, 900});
            NDArray context = manager.randomNormal(new Shape(2, 3, 6));
            NDArray before = unet.forward(sample, t, context, null);

            Map<String, NDArray> params = ((Trainable) unet).parameters();
            NDArray conv = params.get("down_blocks.0.resnets.0.conv1.weight");
            NDArray norm = params.get("up_blocks.1.resnets.0.norm1.weight");
            assertEquals(new Shape(12, 12, 3, 3), conv.getShape());
            assertEquals(new Shape(32), norm.getShape()); // 20 + 12 skip channels
            assertEquals(new Shape(12, 12, 1, 1), params.get("down_blocks.0.attentions.0.proj_in.weight").getShape());
            assertEquals(0, maxAbsDiff(before, unet.forward(sample, t, context, null)), "listing changed the output");

            params.values().forEach(p -> p.setRequiresGradient(true));
            try {
                try (Autograd.Recording recording = Autograd.record()) {
                    recording.backward(unet.forward(sample, t, context, null).square().sum());
                }
                params.forEach((name, p) -> {
                    try (NDArray g = p.getGradient()) {
                        assertEquals(p.getShape(), g.getShape(), name);
                    }
                });
                try (NDArray g = conv.getGradient()) {
                    assertTrue(g.abs().sum().getFloat() > 0, "no gradient reached the padded convolution");
                }
            } finally {
                params.values().forEach(p -> p.setRequiresGradient(false));
            }
            conv.stopGradient().muli(2); // in place, as the optimizer updates
            assertTrue(maxAbsDiff(before, unet.forward(sample, t, context, null)) > 1e-4,
                    "the forward does not read the listed kernel");
        }
    }
}
