package org.mix4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code unet2d_condition}: {@code out_sample = unet(sample, timestep,
 * encoder_hidden_states)} with the case's checkpoint loaded as YAML would load it.
 */
@Extension
public final class Unet2dConditionCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public Unet2dConditionCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("unet2d_condition");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        try (Denoiser unet = loader.load("unet2d_condition", Role.DENOISER, c.dir(), Map.of(), manager,
                DataType.FLOAT32)) {
            NDArray out = unet.forward(c.tensor("sample", manager), c.tensor("timestep", manager),
                    c.tensor("encoder_hidden_states", manager), null);
            return Map.of("out_sample", out);
        }
    }
}
