package org.mix4j.diffusion.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.allClose;
import static org.mix4j.diffusion.DiffusionFixtures.golden;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.Denoiser;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.Role;
import org.mix4j.config.JsonConfig;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;

/**
 * The UNets of the pipeline fixtures (diffusers folder layout, {@code unet/}) reproduce the
 * reference's guided noise prediction at every step from the stored step latents; in the ControlNet
 * pipeline with the stored ControlNet residuals injected. This pins the residual injection to
 * diffusers without a ControlNet implementation.
 */
class UnetPipelineFixturesTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sd_pipeline", "controlnet_pipeline"})
    void unetReproducesTheReferenceGuidedNoisePredictions(String fixture) {
        GoldenCase c = new GoldenCase(golden(fixture), fixture);
        // the step latents are the UNet inputs only for a scheduler whose scale_model_input is the identity
        assertEquals("DDIMScheduler", JsonConfig.read(c.file("scheduler/scheduler_config.json"))
                .get("_class_name").getAsString());
        NDArray context = c.tensor("negative_prompt_embeds", manager).concat(c.tensor("prompt_embeds", manager), 0);
        NDArray timesteps = c.tensor("timesteps", manager);
        NDArray latents = c.tensor("latents_steps", manager);
        NDArray expected = c.tensor("noise_preds", manager);
        float guidance = (float) c.number("guidance_scale");
        double atol = c.number("atol");
        double rtol = c.number("rtol");
        try (Denoiser unet = DiffusionFixtures.loader().load("unet2d_condition", Role.DENOISER, c.file("unet"),
                Map.of(), manager, DataType.FLOAT32)) {
            for (int i = 0; i < timesteps.size(); i++) {
                NDArray x = latents.get(i).concat(latents.get(i), 0); // [2B, C, h, w]: uncond rows, cond rows
                NDArray eps = unet.forward(x, timesteps.get(i), context, residuals(c, i));
                assertEquals(x.getShape(), eps.getShape());
                NDList halves = eps.split(2, 0);
                NDArray guided = halves.get(0).add(halves.get(1).sub(halves.get(0)).mul(guidance));
                assertTrue(allClose(guided, expected.get(i), atol, rtol), fixture + " step " + i + ": max |err| "
                        + maxAbsDiff(guided, expected.get(i)) + " (atol " + atol + ", rtol " + rtol + ")");
            }
        }
    }

    /** The stored ControlNet residuals of step {@code i}, or {@code null} for a plain pipeline. */
    private DenoiserResiduals residuals(GoldenCase c, int step) {
        if (!c.json().has("num_down_block_residuals")) {
            return null;
        }
        int count = c.json().get("num_down_block_residuals").getAsInt();
        List<NDArray> down = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            down.add(c.tensor("down_block_res_sample_" + k + "_steps", manager).get(step));
        }
        return new DenoiserResiduals(down, c.tensor("mid_block_res_sample_steps", manager).get(step));
    }
}
