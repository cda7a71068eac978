package org.mix4j.diffusion.schedulers;

import org.mix4j.api.Scheduler;
import org.mix4j.registry.ComponentContext;
import org.pf4j.Extension;

/** YAML {@code type: lcm}: diffusers' LCMScheduler. */
@Extension
public final class LcmFactory implements SchedulerFactory<LcmConfig> {

    @Override
    public String type() {
        return "lcm";
    }

    @Override
    public String diffusersClass() {
        return "LCMScheduler";
    }

    @Override
    public Class<LcmConfig> configType() {
        return LcmConfig.class;
    }

    @Override
    public Scheduler create(LcmConfig config, ComponentContext context) {
        return new LcmScheduler(config);
    }

    @Override
    public String description() {
        return "Latent Consistency Model sampler (diffusers LCMScheduler)";
    }
}
