package org.mix4j.diffusion.schedulers;

import org.mix4j.api.Scheduler;
import org.mix4j.registry.ComponentContext;
import org.pf4j.Extension;

/** YAML {@code type: ddim}: diffusers' DDIMScheduler. */
@Extension
public final class DdimFactory implements SchedulerFactory<DdimConfig> {

    @Override
    public String type() {
        return "ddim";
    }

    @Override
    public String diffusersClass() {
        return "DDIMScheduler";
    }

    @Override
    public Class<DdimConfig> configType() {
        return DdimConfig.class;
    }

    @Override
    public Scheduler create(DdimConfig config, ComponentContext context) {
        return new DdimScheduler(config);
    }

    @Override
    public String description() {
        return "DDIM sampler (diffusers DDIMScheduler), deterministic or with eta";
    }
}
