package org.mix4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.LatentDistribution;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kinds {@code vae_decoder} ({@code decode(latent)}, and the posterior of
 * {@code encode(image)}) and {@code vae_tiled_decode} ({@code decode(latent)} with the case's
 * {@code tiling} values as YAML overrides, and the same latent decoded untiled).
 */
@Extension
public final class AutoencoderKlCaseRunner implements CaseRunner {

    private static final String TYPE = "autoencoder_kl";

    private final ComponentLoader loader;

    @Inject
    public AutoencoderKlCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("vae_decoder", "vae_tiled_decode");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        NDArray latent = c.tensor("latent", manager);
        if (c.kind().equals("vae_decoder")) {
            try (Autoencoder vae = load(c, Map.of(), manager)) {
                out.put("decoded_sample", vae.decode(latent));
                LatentDistribution d = vae.encode(c.tensor("image", manager));
                out.put("latent_dist_mean", d.mean());
                out.put("latent_dist_std", d.std());
            }
            return out;
        }
        try (Autoencoder tiled = load(c, Map.of("tiling", tilingOverrides(c.json().getAsJsonObject("tiling"))), manager);
                Autoencoder untiled = load(c, Map.of(), manager)) {
            out.put("decoded_sample", tiled.decode(latent));
            out.put("decoded_sample_untiled", untiled.decode(latent));
        }
        return out;
    }

    private Autoencoder load(GoldenCase c, Map<String, Object> overrides, NDManager manager) {
        return loader.load(TYPE, Role.AUTOENCODER, c.dir(), overrides, manager, DataType.FLOAT32);
    }

    /** case.json {@code tiling} as the YAML section {@code tiling: {enabled: true, ...}}. */
    private static Map<String, Object> tilingOverrides(JsonObject tiling) {
        if (tiling == null) {
            throw new IllegalArgumentException("vae_tiled_decode case.json has no 'tiling' object");
        }
        Map<String, Object> section = new LinkedHashMap<>();
        section.put("enabled", true);
        section.put("tile_sample_min_size", tiling.get("tile_sample_min_size").getAsLong());
        section.put("tile_latent_min_size", tiling.get("tile_latent_min_size").getAsLong());
        section.put("tile_overlap_factor", tiling.get("tile_overlap_factor").getAsDouble());
        return section;
    }
}
