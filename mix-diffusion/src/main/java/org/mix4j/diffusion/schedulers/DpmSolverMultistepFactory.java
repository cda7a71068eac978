package org.mix4j.diffusion.schedulers;

import org.mix4j.api.Scheduler;
import org.mix4j.registry.ComponentContext;
import org.pf4j.Extension;

/** YAML {@code type: dpm_solver_pp}: diffusers' DPMSolverMultistepScheduler. */
@Extension
public final class DpmSolverMultistepFactory implements SchedulerFactory<DpmSolverMultistepConfig> {

    @Override
    public String type() {
        return "dpm_solver_pp";
    }

    @Override
    public String diffusersClass() {
        return "DPMSolverMultistepScheduler";
    }

    @Override
    public Class<DpmSolverMultistepConfig> configType() {
        return DpmSolverMultistepConfig.class;
    }

    @Override
    public Scheduler create(DpmSolverMultistepConfig config, ComponentContext context) {
        return new DpmSolverMultistepScheduler(config);
    }

    @Override
    public String description() {
        return "DPM-Solver++ multistep, order 1 or 2 (diffusers DPMSolverMultistepScheduler)";
    }
}
