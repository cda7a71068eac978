package org.mix4j.diffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mix4j.api.Role;
import org.mix4j.config.ConfigException;
import org.mix4j.diffusion.DiffusionFixtures;

class AutoencoderKlConfigTest {

    private static final String SD_VAE = """
            type: autoencoder_kl
            block_out_channels: [128, 256, 512, 512]
            down_block_types: [DownEncoderBlock2D, DownEncoderBlock2D, DownEncoderBlock2D, DownEncoderBlock2D]
            up_block_types: [UpDecoderBlock2D, UpDecoderBlock2D, UpDecoderBlock2D, UpDecoderBlock2D]
            sample_size: 512
            """;

    private static AutoencoderKlConfig bind(String yaml) {
        return (AutoencoderKlConfig) DiffusionFixtures.loader()
                .bindConfig(DiffusionFixtures.section("vae", yaml), Role.AUTOENCODER, null);
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> bind(yaml)).getMessage();
    }

    @Test
    void tileSizesDefaultAsDiffusersDoes() {
        AutoencoderKlConfig config = bind(SD_VAE + "tiling: {enabled: true}\n");
        assertTrue(config.tilingEnabled());
        assertEquals(8, config.scaleFactor());
        assertEquals(512, config.tileSampleMinSize());
        assertEquals(64, config.tileLatentMinSize());
        assertEquals(0.25, config.tileOverlapFactor());
        assertFalse(bind(SD_VAE).tilingEnabled());
        AutoencoderKlConfig onlySample = bind(SD_VAE + "tiling: {enabled: true, tile_sample_min_size: 256}\n");
        assertEquals(32, onlySample.tileLatentMinSize());
        AutoencoderKlConfig onlyLatent = bind(SD_VAE + "tiling: {enabled: true, tile_latent_min_size: 32}\n");
        assertEquals(256, onlyLatent.tileSampleMinSize());
    }

    @Test
    void unknownBlockTypeListsTheValidTypes() {
        String message = error(SD_VAE.replace("[UpDecoderBlock2D, UpDecoderBlock2D, UpDecoderBlock2D, UpDecoderBlock2D]",
                "[UpDecoderBlock2D, AttnUpDecoderBlock2D, UpDecoderBlock2D, UpDecoderBlock2D]"));
        assertTrue(message.contains("up_block_types[1]") && message.contains("AttnUpDecoderBlock2D")
                && message.contains("valid: UpDecoderBlock2D"), message);
    }

    @Test
    void badTilingSettingsAreRejected() {
        String overlap = error(SD_VAE + "tiling: {enabled: true, tile_overlap_factor: 1.0}\n");
        assertTrue(overlap.contains("tile_overlap_factor"), overlap);
        String uneven = error(SD_VAE + "tiling: {enabled: true, tile_sample_min_size: 500, tile_latent_min_size: 64}\n");
        assertTrue(uneven.contains("do not tile evenly"), uneven);
        String unknown = error(SD_VAE + "tiling: {enabled: true, tile_size: 256}\n");
        assertTrue(unknown.contains("tile_size") && unknown.contains("tile_sample_min_size"), unknown);
    }
}
