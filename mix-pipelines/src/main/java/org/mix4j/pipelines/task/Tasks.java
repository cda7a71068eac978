package org.mix4j.pipelines.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.Role;

/** The pipeline tasks mix4j knows and their schemas. */
public final class Tasks {

    public static final TaskSchema UNDERSTANDING = new TaskSchema("understanding", slots(
            "image_processor", Role.IMAGE_PROCESSOR,
            "tiling", Role.TILER,
            "encoder", Role.VISION_ENCODER,
            "encoder_hires", Role.VISION_ENCODER,
            "image_processor_hires", Role.IMAGE_PROCESSOR,
            "connector", Role.CONNECTOR,
            "llm", Role.LANGUAGE_MODEL,
            "tokenizer", Role.TOKENIZER),
            Set.of("encoder", "connector", "llm", "tokenizer"), UnderstandingSettings.class);

    public static final TaskSchema GENERATION = new TaskSchema("generation", slots(
            "text_encoder", Role.TEXT_ENCODER,
            "tokenizer", Role.TOKENIZER,
            "denoiser", Role.DENOISER,
            "controlnet", Role.CONTROLNET,
            "vae", Role.AUTOENCODER,
            "scheduler", Role.SCHEDULER),
            Set.of("text_encoder", "tokenizer", "denoiser", "vae", "scheduler"), DiffusionSettings.class);

    public static final TaskSchema RETRIEVAL = new TaskSchema("retrieval", slots(
            "image_processor", Role.IMAGE_PROCESSOR,
            "encoder", Role.VISION_ENCODER,
            "text_encoder", Role.TEXT_ENCODER,
            "tokenizer", Role.TOKENIZER),
            Set.of("encoder", "text_encoder", "tokenizer"), RetrievalSettings.class);

    public static final TaskSchema TEXT = new TaskSchema("text", slots(
            "llm", Role.LANGUAGE_MODEL,
            "tokenizer", Role.TOKENIZER),
            Set.of("llm", "tokenizer"), TextSettings.class);

    public static final List<TaskSchema> ALL = List.of(UNDERSTANDING, GENERATION, RETRIEVAL, TEXT);

    private Tasks() {}

    public static TaskSchema find(String task) {
        return ALL.stream().filter(t -> t.task().equals(task)).findFirst().orElse(null);
    }

    private static Map<String, Role> slots(Object... pairs) {
        Map<String, Role> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (Role) pairs[i + 1]);
        }
        return m;
    }
}
