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

    /** Whether the component is built from tensors (encoders and models) or from files only. */
    default boolean hasWeights() {
        return switch (role()) {
            case VISION_ENCODER, TEXT_ENCODER, CONNECTOR, LANGUAGE_MODEL, DENOISER, CONTROLNET, AUTOENCODER -> true;
            default -> false;
        };
    }

    /**
     * The Hugging Face / diffusers names of what this factory loads: {@code config.json}
     * {@code architectures} and {@code model_type} values, {@code model_index.json} and
     * {@code _class_name} classes. Presets map a checkpoint to types through these
     * ({@link Registry#forCheckpointClass}), so a plugin's factory is found the same way.
     */
    default java.util.List<String> checkpointClasses() {
        return java.util.List.of();
    }

    /**
     * The widths a pipeline must match across components, read from the bound config before any
     * weight is read: {@code output_width}, {@code input_width}, {@code hidden_size},
     * {@code cross_attention_dim}, {@code latent_channels}, {@code in_channels}, {@code vocab_size}.
     * A width the config does not fix is left out; {@code mix validate} skips what is not declared.
     */
    default java.util.Map<String, Long> dimensions(C config) {
        return java.util.Map.of();
    }

    /**
     * {@link #dimensions(Record)} of a component whose files are in {@code directory}
     * ({@code null} when there is none): for widths only its files fix, such as a tokenizer's
     * vocabulary. Reads no weights.
     */
    default java.util.Map<String, Long> dimensions(C config, java.nio.file.Path directory) {
        return dimensions(config);
    }

    /** {@code name, value, ...} as a dimensions map, leaving out {@code null} values. */
    static java.util.Map<String, Long> widths(Object... nameValuePairs) {
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            if (nameValuePairs[i + 1] instanceof Number n) {
                out.put((String) nameValuePairs[i], n.longValue());
            }
        }
        return out;
    }

    /** One line for {@code mix components}. */
    default String description() {
        return "";
    }
}
