package org.mix4j.diffusion.schedulers;

import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.registry.ComponentFactory;
import org.mix4j.registry.RegisteredComponent;
import org.mix4j.registry.Registry;

/**
 * What the scheduler factories share: role, config file, no weights, and the diffusers class each
 * one reproduces (how a {@code scheduler_config.json} {@code _class_name} maps to a YAML type).
 */
public interface SchedulerFactory<C extends Record> extends ComponentFactory<C, Scheduler> {

    /** The diffusers class name this type reproduces ({@code DDIMScheduler}). */
    String diffusersClass();

    @Override
    default List<String> checkpointClasses() {
        return List.of(diffusersClass());
    }

    @Override
    default Role role() {
        return Role.SCHEDULER;
    }

    @Override
    default String configFile() {
        return "scheduler_config.json";
    }

    @Override
    default boolean hasWeights() {
        return false;
    }

    /**
     * The registered YAML type reproducing a diffusers scheduler class (the {@code _class_name} of a
     * {@code scheduler_config.json}).
     *
     * @throws IllegalArgumentException naming the classes that are supported
     */
    static String typeForDiffusersClass(Registry registry, String className) {
        RegisteredComponent c = registry.forCheckpointClass(Role.SCHEDULER, className);
        if (c != null) {
            return c.type();
        }
        List<String> known = new ArrayList<>();
        for (RegisteredComponent r : registry.components(Role.SCHEDULER)) {
            r.factory().checkpointClasses().forEach(name -> known.add(name + " (" + r.type() + ")"));
        }
        throw new IllegalArgumentException("no scheduler reproduces diffusers class '" + className + "'; supported: "
                + String.join(", ", known));
    }
}
