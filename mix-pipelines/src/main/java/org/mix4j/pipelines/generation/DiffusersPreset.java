package org.mix4j.pipelines.generation;

import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Optional;
import org.mix4j.pipelines.task.Preset;
import org.mix4j.registry.Registry;
import org.pf4j.Extension;

/** {@code mix run --model DIR} for a diffusers Stable Diffusion folder (see {@link DiffusersLayout}). */
@Extension
public final class DiffusersPreset implements Preset {

    private final Registry registry;

    @Inject
    public DiffusersPreset(Registry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<Document> document(Path dir, JsonObject config, JsonObject modelIndex) {
        return DiffusersLayout.document(dir, modelIndex, registry, null);
    }
}
