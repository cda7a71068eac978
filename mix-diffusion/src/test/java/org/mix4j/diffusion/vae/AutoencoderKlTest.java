package org.mix4j.diffusion.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mix4j.diffusion.DiffusionFixtures.golden;
import static org.mix4j.diffusion.DiffusionFixtures.maxAbsDiff;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.LatentDistribution;
import org.mix4j.api.Role;
import org.mix4j.diffusion.DiffusionFixtures;
import org.mix4j.golden.GoldenCase;

class AutoencoderKlTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @ParameterizedTest(name = "mid_block_add_attention {0}")
    @ValueSource(booleans = {true, false})
    void randomConfigFromYamlEncodesAndDecodesAtItsScaleFactor(boolean attention) {
        String yaml = """
                type: autoencoder_kl
                init: random
                block_out_channels: [8, 16, 16]
                down_block_types: [DownEncoderBlock2D, DownEncoderBlock2D, DownEncoderBlock2D]
                up_block_types: [UpDecoderBlock2D, UpDecoderBlock2D, UpDecoderBlock2D]
                layers_per_block: 2
                latent_channels: 3
                norm_num_groups: 4
                scaling_factor: 0.5
                shift_factor: 0.1
                use_quant_conv: false
                mid_block_add_attention: %s
                """.formatted(attention);
        try (Autoencoder vae = DiffusionFixtures.load("vae", Role.AUTOENCODER, yaml, manager)) {
            assertEquals(4, vae.scaleFactor());
            assertEquals(0.5, vae.scalingFactor());
            assertEquals(0.1, vae.shiftFactor(), 1e-12);
            LatentDistribution d = vae.encode(manager.randomUniform(-1, 1, new Shape(2, 3, 20, 12)));
            assertEquals(new Shape(2, 3, 5, 3), d.mean().getShape());
            assertEquals(new Shape(2, 3, 5, 3), d.std().getShape());
            assertTrue(d.std().gt(0).all().getBoolean(), "std = exp(0.5 logvar) is positive");
            NDArray pixels = vae.decode(d.mean());
            assertEquals(new Shape(2, 3, 20, 12), pixels.getShape());
        }
    }

    @Test
    void shiftFactorIsZeroWhenTheCheckpointHasNone() {
        try (Autoencoder vae = fixtureVae(Map.of())) {
            assertEquals(0.0, vae.shiftFactor());
            assertEquals(0.18215, vae.scalingFactor(), 1e-12);
        }
    }

    @Test
    void tilingLeavesInputsThatFitOneTileUntouched() {
        GoldenCase c = new GoldenCase(golden("vae_decoder"), "vae_decoder");
        NDArray latent = c.tensor("latent", manager);
        NDArray image = c.tensor("image", manager);
        long latentSide = Math.max(latent.getShape().get(2), latent.getShape().get(3));
        long imageSide = Math.max(image.getShape().get(2), image.getShape().get(3));
        Map<String, Object> tiling = Map.of("tiling", Map.of("enabled", true,
                "tile_latent_min_size", latentSide, "tile_sample_min_size", imageSide));
        try (Autoencoder plain = fixtureVae(Map.of()); Autoencoder tiled = fixtureVae(tiling)) {
            assertEquals(0, maxAbsDiff(plain.decode(latent), tiled.decode(latent)));
            assertEquals(0, maxAbsDiff(plain.encode(image).mean(), tiled.encode(image).mean()));
        }
    }

    @Test
    void tiledEncodeCoversImagesLargerThanATile() {
        GoldenCase c = new GoldenCase(golden("vae_decoder"), "vae_decoder");
        NDArray image = c.tensor("image", manager);
        Shape s = image.getShape();
        int scale = 1 << (c.config().getAsJsonArray("block_out_channels").size() - 1);
        long tile = s.get(2) / 2;
        Map<String, Object> tiling = Map.of("tiling", Map.of("enabled", true,
                "tile_sample_min_size", tile, "tile_latent_min_size", tile / scale, "tile_overlap_factor", 0.25));
        try (Autoencoder plain = fixtureVae(Map.of()); Autoencoder tiled = fixtureVae(tiling)) {
            LatentDistribution whole = plain.encode(image);
            LatentDistribution tiles = tiled.encode(image);
            assertEquals(whole.mean().getShape(), tiles.mean().getShape());
            assertEquals(whole.std().getShape(), tiles.std().getShape());
            // each tile sees less context (and its own GroupNorm statistics), so the result differs
            assertTrue(maxAbsDiff(whole.mean(), tiles.mean()) > 1e-4);
        }
    }

    @Test
    void repeatedTiledDecodesLeaveNoArraysBehind() {
        GoldenCase c = new GoldenCase(golden("vae_tiled_decode"), "vae_tiled_decode");
        var t = c.json().getAsJsonObject("tiling");
        Map<String, Object> tiling = Map.of("tiling", Map.of("enabled", true,
                "tile_sample_min_size", t.get("tile_sample_min_size").getAsLong(),
                "tile_latent_min_size", t.get("tile_latent_min_size").getAsLong(),
                "tile_overlap_factor", t.get("tile_overlap_factor").getAsDouble()));
        try (Autoencoder vae = DiffusionFixtures.loader().load("autoencoder_kl", Role.AUTOENCODER, c.dir(), tiling,
                manager, DataType.FLOAT32)) {
            NDArray latent = c.tensor("latent", manager);
            int before = manager.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                vae.decode(latent).close();
                LatentDistribution d = vae.encode(c.tensor("decoded_sample", manager));
                d.mean().close();
                d.std().close();
            }
            // the 3 decoded_sample inputs read from io.safetensors stay; nothing else may
            assertEquals(before + 3, manager.getManagedArrays().size());
        }
    }

    private Autoencoder fixtureVae(Map<String, Object> overrides) {
        return DiffusionFixtures.loader().load("autoencoder_kl", Role.AUTOENCODER, golden("vae_decoder"), overrides,
                manager, DataType.FLOAT32);
    }
}
