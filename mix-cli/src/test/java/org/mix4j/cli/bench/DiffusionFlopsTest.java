package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.diffusion.unet.Unet2dConditionConfig;
import org.mix4j.diffusion.vae.AutoencoderKlConfig;
import org.mix4j.registry.MixSettings;

/** FLOP counts of tiny UNet and VAE configs, against counts written out block by block. */
class DiffusionFlopsTest {

    private static MixRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static Record bind(String type, Role role, Map<String, Object> keys) {
        return runtime.loader().bindConfig(ComponentLoader.spec(type, null, keys), role, null);
    }

    @Test
    void countsATinyUnetBlockByBlock() {
        Unet2dConditionConfig c = (Unet2dConditionConfig) bind("unet2d_condition", Role.DENOISER, Map.of(
                "block_out_channels", List.of(32, 64), "layers_per_block", 1, "cross_attention_dim", 16,
                "attention_head_dim", 2, "norm_num_groups", 8,
                "down_block_types", List.of("CrossAttnDownBlock2D", "DownBlock2D"),
                "up_block_types", List.of("UpBlock2D", "CrossAttnUpBlock2D")));
        // batch 1, 8x8 latents, 3 context tokens of width 16; time embedding 4 x 32 = 128
        long time = 2 * 32 * 128 + 2 * 128 * 128;
        long convIn = 2L * 4 * 32 * 9 * 64;
        long down0Resnet = 2 * (2L * 32 * 32 * 9 * 64) + 2 * 128 * 32;
        long transformer32 = 2L * 64 * 32 * 32 // proj_in
                + 4 * (2L * 64 * 32 * 32) + 4L * 64 * 64 * 32 // self-attention: q, k, v, out; scores and values
                + 2 * (2L * 64 * 32 * 32) + 2 * (2L * 3 * 16 * 32) + 4L * 64 * 3 * 32 // cross-attention
                + 2L * 64 * 32 * 256 + 2L * 64 * 128 * 32 // GEGLU feed-forward
                + 2L * 64 * 32 * 32; // proj_out
        long downsample = 2L * 32 * 32 * 9 * 16;
        long down1Resnet = 2L * 32 * 64 * 9 * 16 + 2L * 64 * 64 * 9 * 16 + 2 * 128 * 64 + 2L * 32 * 64 * 16;
        long midResnet = 2 * (2L * 64 * 64 * 9 * 16) + 2 * 128 * 64;
        long transformer64 = 2L * 16 * 64 * 64 + 4 * (2L * 16 * 64 * 64) + 4L * 16 * 16 * 64
                + 2 * (2L * 16 * 64 * 64) + 2 * (2L * 3 * 16 * 64) + 4L * 16 * 3 * 64
                + 2L * 16 * 64 * 512 + 2L * 16 * 256 * 64 + 2L * 16 * 64 * 64;
        // up block 0 (4x4, 64 channels): skips of 64 (down 1's resnet) then 32 (the downsampler)
        long up0 = 2L * 128 * 64 * 9 * 16 + 2L * 64 * 64 * 9 * 16 + 2 * 128 * 64 + 2L * 128 * 64 * 16
                + 2L * 96 * 64 * 9 * 16 + 2L * 64 * 64 * 9 * 16 + 2 * 128 * 64 + 2L * 96 * 64 * 16
                + 2L * 64 * 64 * 9 * 64; // upsampler's conv at 8x8
        // up block 1 (8x8, 32 channels): 64 from below + skip 32, then 32 + skip 32 (conv_in)
        long up1 = 2L * 96 * 32 * 9 * 64 + 2L * 32 * 32 * 9 * 64 + 2 * 128 * 32 + 2L * 96 * 32 * 64 + transformer32
                + 2L * 64 * 32 * 9 * 64 + 2L * 32 * 32 * 9 * 64 + 2 * 128 * 32 + 2L * 64 * 32 * 64 + transformer32;
        long convOut = 2L * 32 * 4 * 9 * 64;
        long expected = time + convIn + down0Resnet + transformer32 + downsample + down1Resnet
                + midResnet + transformer64 + midResnet + up0 + up1 + convOut;
        assertEquals(expected, DiffusionFlops.unetStep(c, 1, 8, 8, 3), 0.5);
        assertEquals(2.0 * expected, DiffusionFlops.unetStep(c, 2, 8, 8, 3), 0.5);
    }

    @Test
    void countsATinyVaeDecoderAndItsTiles() {
        AutoencoderKlConfig c = (AutoencoderKlConfig) bind("autoencoder_kl", Role.AUTOENCODER, Map.of(
                "block_out_channels", List.of(32, 64), "layers_per_block", 1, "norm_num_groups", 8,
                "down_block_types", List.of("DownEncoderBlock2D", "DownEncoderBlock2D"),
                "up_block_types", List.of("UpDecoderBlock2D", "UpDecoderBlock2D"),
                "tiling", Map.of("enabled", true, "tile_latent_min_size", 4, "tile_sample_min_size", 8)));
        long resnet64at4 = 2 * (2L * 64 * 64 * 9 * 16);
        long expected = 2L * 4 * 4 * 16 // post_quant_conv
                + 2L * 4 * 64 * 9 * 16 // conv_in
                + resnet64at4 + 4 * (2L * 16 * 64 * 64) + 4L * 16 * 16 * 64 + resnet64at4 // mid block
                + 2 * resnet64at4 + 2L * 64 * 64 * 9 * 64 // up block 0, then 2x upsampling conv
                + 2L * 64 * 32 * 9 * 64 + 2L * 32 * 32 * 9 * 64 + 2L * 64 * 32 * 64 // resnet 64 -> 32
                + 2 * (2L * 32 * 32 * 9 * 64) // resnet 32 -> 32
                + 2L * 32 * 3 * 9 * 64; // conv_out
        assertEquals(expected, DiffusionFlops.vaeDecode(c, 1, 4, 4), 0.5);
        // 8x8 latents in tiles of 4 every 3: rows and columns of 4, 4 and 2
        double tiles = 4 * DiffusionFlops.vaeDecode(c, 1, 4, 4) + 4 * DiffusionFlops.vaeDecode(c, 1, 4, 2)
                + DiffusionFlops.vaeDecode(c, 1, 2, 2);
        assertEquals(tiles, DiffusionFlops.vaeTiledDecode(c, 1, 8, 8), 0.5);
    }
}
