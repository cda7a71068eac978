package org.mix4j.diffusion.schedulers;

import org.mix4j.api.Scheduler;
import org.mix4j.registry.ComponentContext;
import org.pf4j.Extension;

/** YAML {@code type: euler}: diffusers' EulerDiscreteScheduler. */
@Extension
public final class EulerDiscreteFactory implements SchedulerFactory<EulerDiscreteConfig> {

    @Override
    public String type() {
        return "euler";
    }

    @Override
    public String diffusersClass() {
        return "EulerDiscreteScheduler";
    }

    @Override
    public Class<EulerDiscreteConfig> configType() {
        return EulerDiscreteConfig.class;
    }

    @Override
    public Scheduler create(EulerDiscreteConfig config, ComponentContext context) {
        return new EulerDiscreteScheduler(config);
    }

    @Override
    public String description() {
        return "Euler sampler in sigma space (diffusers EulerDiscreteScheduler)";
    }
}
