package org.mix4j.diffusion.controlnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.ControlNet;
import org.mix4j.api.DenoiserResiduals;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code controlnet}: {@code ControlNetModel(sample, timestep, encoder_hidden_states,
 * controlnet_cond, conditioning_scale)} with the case's checkpoint loaded as YAML would load it.
 */
@Extension
public final class ControlNetCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public ControlNetCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("controlnet");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        try (ControlNet controlNet = loader.load("controlnet", Role.CONTROLNET, c.dir(), Map.of(), manager,
                DataType.FLOAT32)) {
            DenoiserResiduals r = controlNet.residuals(c.tensor("sample", manager), c.tensor("timestep", manager),
                    c.tensor("encoder_hidden_states", manager), c.tensor("controlnet_cond", manager),
                    c.number("conditioning_scale"));
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (int k = 0; k < r.downBlock().size(); k++) {
                out.put("down_block_res_sample_" + k, r.downBlock().get(k));
            }
            out.put("mid_block_res_sample", r.midBlock());
            return out;
        }
    }
}
