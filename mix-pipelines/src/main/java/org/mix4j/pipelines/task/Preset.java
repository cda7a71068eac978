package org.mix4j.pipelines.task;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Optional;
import org.pf4j.ExtensionPoint;

/**
 * Turns a checkpoint directory into pipeline YAML, so {@code mix run --model DIR} needs no file and
 * {@code --print-config} shows a starting point to edit. Modules contribute presets for the
 * architectures they implement.
 */
public interface Preset extends ExtensionPoint {

    /**
     * @param dir the checkpoint directory
     * @param config its {@code config.json}, or {@code null} when it has none
     * @param modelIndex its {@code model_index.json} (diffusers), or {@code null}
     * @return the YAML, or empty when this preset does not know the checkpoint
     */
    Optional<String> yaml(Path dir, JsonObject config, JsonObject modelIndex);
}
