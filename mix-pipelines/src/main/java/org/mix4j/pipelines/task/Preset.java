package org.mix4j.pipelines.task;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.mix4j.config.ConfigNode.MapNode;
import org.pf4j.ExtensionPoint;

/**
 * Turns a checkpoint directory into a pipeline document, so {@code mix run --model DIR} needs no
 * file and {@code --print-config} shows a starting point to edit. Modules contribute presets for
 * the architectures they implement; component types come from the registry
 * ({@link org.mix4j.registry.Registry#forCheckpointClass}), not from tables in presets.
 */
public interface Preset extends ExtensionPoint {

    /**
     * A preset's pipeline.
     *
     * @param root the document, as a YAML file would parse
     * @param comments lines {@code --print-config} writes as {@code #} comments above it
     */
    record Document(MapNode root, List<String> comments) {
        public Document {
            comments = List.copyOf(comments);
        }
    }

    /**
     * @param dir the checkpoint directory
     * @param config its {@code config.json}, or {@code null} when it has none
     * @param modelIndex its {@code model_index.json} (diffusers), or {@code null}
     * @return the pipeline, or empty when this preset does not know the checkpoint
     */
    Optional<Document> document(Path dir, JsonObject config, JsonObject modelIndex);
}
