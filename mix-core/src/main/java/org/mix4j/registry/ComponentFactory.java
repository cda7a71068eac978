package org.mix4j.registry;

import com.google.gson.JsonObject;
import org.mix4j.api.Role;
import org.pf4j.ExtensionPoint;

/**
 * The one extension point of mix4j: a named factory for a building block. Built-in modules mark
 * their factories {@code @Extension}; plugins do the same in their jar, and their types are
 * namespaced {@code plugin-id:type}.
 *
 * @param <C> the config record, bound from the YAML section over the checkpoint's config
 * @param <T> the component's role interface
 */
public interface ComponentFactory<C extends Record, T> extends ExtensionPoint {

    /** The YAML {@code type:} name, without plugin namespace ({@code clip_vision}). */
    String type();

    Role role();

    Class<C> configType();

    /** Builds the component; {@code context.weights()} is already prefixed. */
    T create(C config, ComponentContext context);

    /**
     * The part of the checkpoint's config file this component takes its defaults from: the whole
     * file by default, {@code vision_config} for a vision tower inside a composite model, and so on.
     * May return {@code null} when nothing applies.
     */
    default JsonObject configDefaults(JsonObject checkpointConfig) {
        return checkpointConfig;
    }

    /** File in the component's directory holding its config ({@code scheduler_config.json}, ...). */
    default String configFile() {
        return "config.json";
    }

    /**
     * The Hugging Face class this type reproduces, as a checkpoint's config file names it (the
     * {@code _class_name} of a diffusers {@code scheduler_config.json}: {@code DDIMScheduler}), or
     * "" when none. Layouts that turn a checkpoint into YAML find the type through
     * {@link Registry#typeReproducing}, so plugin types take part like built-in ones.
     */
    default String checkpointClass() {
        return "";
    }

    /** Whether the component is built from tensors (encoders and models) or from files only. */
    default boolean hasWeights() {
        return switch (role()) {
            case VISION_ENCODER, TEXT_ENCODER, CONNECTOR, LANGUAGE_MODEL, DENOISER, CONTROLNET, AUTOENCODER -> true;
            default -> false;
        };
    }

    /** One line for {@code mix components}. */
    default String description() {
        return "";
    }
}
