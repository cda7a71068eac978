package org.mix4j.serve;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.Default;
import org.mix4j.config.OptionalKey;
import org.mix4j.config.YamlLoader;

/**
 * A {@code mix serve} YAML: where to listen, who may call, how much memory the models may hold,
 * which models are served and the request limits. Paths are relative to the YAML's folder.
 *
 * @param apiKeys accepted {@code Authorization: Bearer} keys; empty means no authentication
 * @param memoryBudget bytes ({@code 2147483648}) or a size ({@code "2GiB"}, {@code "512MB"}) the
 *     resident models may hold; absent means unlimited
 * @param corsOrigins origins ({@code https://app.example.com}) whose pages may call the API from a
 *     browser; empty (the default) sends no CORS headers, so browsers allow same-origin pages only
 * @param imageSources the folders and hosts image URLs may name besides inline data; none by default
 * @param loras a folder of LoRA files ({@code NAME.safetensors}, kohya-ss or diffusers/peft) that
 *     image requests may name ({@code loras: [{name, scale}]}); absent means none
 * @param controlnets a folder of ControlNet folders ({@code NAME/config.json} and weights, diffusers
 *     layout) that image requests may name ({@code controlnet: {name, image, scale}}); absent means none
 * @param adapterCache bytes (or a size such as {@code "256MiB"}) of loaded LoRAs and ControlNets each
 *     generation model keeps for later requests; least recently used are closed beyond it
 */
public record ServeConfig(
        @Default("127.0.0.1") String host,
        @Default("8000") int port,
        @Default("[]") List<String> apiKeys,
        @OptionalKey Object memoryBudget,
        Map<String, ModelEntry> models,
        @Default("{}") Limits limits,
        @Default("[]") List<String> corsOrigins,
        @Default("{}") ImageSources imageSources,
        @OptionalKey Path loras,
        @OptionalKey Path controlnets,
        @Default("256MiB") Object adapterCache) {

    /** Model names go into URLs, JSON and metric labels. */
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._:-]{0,127}";

    public ServeConfig {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be in 0..65535 (0 picks a free one), got " + port);
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must be an address or host name, got '" + host + "'");
        }
        if (apiKeys.stream().anyMatch(k -> k == null || k.isBlank())) {
            throw new IllegalArgumentException("api_keys must not hold empty keys");
        }
        if (memoryBudget != null) {
            ByteSize.parse("memory_budget", memoryBudget);
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException("models must name at least one model");
        }
        for (String name : models.keySet()) {
            if (!name.matches(NAME)) {
                throw new IllegalArgumentException("models must be named by letters, digits and . _ : - (at most 128), got '"
                        + name + "'");
            }
        }
        for (String origin : corsOrigins) {
            if (origin == null || !origin.matches("https?://[^/\\s]+")) {
                throw new IllegalArgumentException("cors_origins must hold origins such as https://app.example.com "
                        + "(scheme and host, no path; '*' is not accepted), got '" + origin + "'");
            }
        }
        ByteSize.parse("adapter_cache", adapterCache);
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
        models = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(models));
    }

    /**
     * One served model: a pipeline YAML or a checkpoint folder (its preset, as {@code mix run --model}).
     */
    public record ModelEntry(@OptionalKey Path pipeline, @OptionalKey Path model) {
        public ModelEntry {
            if ((pipeline == null) == (model == null)) {
                throw new IllegalArgumentException("pipeline or model: give exactly one (a pipeline YAML, or a "
                        + "checkpoint folder)");
            }
        }

        ModelEntry resolve(Path dir) {
            return new ModelEntry(pipeline == null ? null : dir.resolve(pipeline).normalize(),
                    model == null ? null : dir.resolve(model).normalize());
        }
    }

    /**
     * What one request may ask for.
     *
     * @param maxBodyBytes a larger request body is answered 413
     * @param maxPromptChars characters of all messages' text together
     * @param maxTokens the most {@code max_tokens} a request may ask for, and the default when it
     *     asks for none and the pipeline's {@code max_new_tokens} is larger
     * @param concurrentPerModel requests decoding on one model at a time
     * @param queuePerModel requests waiting for one model beyond those; more are answered 429
     * @param drainSeconds how long a shutdown waits for running requests
     * @param maxImages the most images ({@code n}) one image request may ask for
     * @param maxImageSide the longest side, in pixels, an image request may ask for
     * @param maxSteps the most denoising {@code steps} an image request may ask for
     * @param batchSlots rows of a text model's batched decoding: up to this many of its running
     *     requests share each decode step (continuous batching); 0 or 1 decodes each request alone
     * @param batchContext positions each batched row holds (capped at the model's context); a
     *     request whose prompt and {@code max_tokens} need more is decoded alone
     */
    public record Limits(
            @Default("1048576") long maxBodyBytes,
            @Default("32768") int maxPromptChars,
            @Default("512") int maxTokens,
            @Default("4") int concurrentPerModel,
            @Default("16") int queuePerModel,
            @Default("30") int drainSeconds,
            @Default("4") int maxImages,
            @Default("1024") int maxImageSide,
            @Default("150") int maxSteps,
            @Default("4") int batchSlots,
            @Default("2048") int batchContext) {
        public Limits {
            if (maxBodyBytes < 1024) {
                throw new IllegalArgumentException("max_body_bytes must be at least 1024, got " + maxBodyBytes);
            }
            if (maxPromptChars < 1) {
                throw new IllegalArgumentException("max_prompt_chars must be at least 1, got " + maxPromptChars);
            }
            if (maxTokens < 1) {
                throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxTokens);
            }
            if (concurrentPerModel < 1) {
                throw new IllegalArgumentException("concurrent_per_model must be at least 1, got " + concurrentPerModel);
            }
            if (queuePerModel < 0) {
                throw new IllegalArgumentException("queue_per_model must be 0 or more, got " + queuePerModel);
            }
            if (drainSeconds < 0) {
                throw new IllegalArgumentException("drain_seconds must be 0 or more, got " + drainSeconds);
            }
            if (maxImages < 1) {
                throw new IllegalArgumentException("max_images must be at least 1, got " + maxImages);
            }
            if (maxImageSide < 8) {
                throw new IllegalArgumentException("max_image_side must be at least 8, got " + maxImageSide);
            }
            if (maxSteps < 1) {
                throw new IllegalArgumentException("max_steps must be at least 1, got " + maxSteps);
            }
            if (batchSlots < 0) {
                throw new IllegalArgumentException("batch_slots must be 0 or more (0 or 1: no batching), got " + batchSlots);
            }
            if (batchContext < 2) {
                throw new IllegalArgumentException("batch_context must be at least 2, got " + batchContext);
            }
        }

        /** The limits with the default batching ({@code batch_slots: 4}, {@code batch_context: 2048}). */
        public Limits(long maxBodyBytes, int maxPromptChars, int maxTokens, int concurrentPerModel, int queuePerModel,
                int drainSeconds, int maxImages, int maxImageSide, int maxSteps) {
            this(maxBodyBytes, maxPromptChars, maxTokens, concurrentPerModel, queuePerModel, drainSeconds, maxImages,
                    maxImageSide, maxSteps, 4, 2048);
        }

        /** These limits with another batching: {@code slots} rows of {@code context} positions. */
        public Limits withBatching(int slots, int context) {
            return new Limits(maxBodyBytes, maxPromptChars, maxTokens, concurrentPerModel, queuePerModel, drainSeconds,
                    maxImages, maxImageSide, maxSteps, slots, context);
        }

        /** The defaults, for a server of one model started without a YAML. */
        public static Limits defaults() {
            return ConfigBinder.bind(Limits.class, null, "limits");
        }
    }

    /** The memory budget in bytes; {@link Long#MAX_VALUE} when none is set. */
    public long memoryBudgetBytes() {
        return memoryBudget == null ? Long.MAX_VALUE : ByteSize.parse("memory_budget", memoryBudget);
    }

    /** Reads a server YAML; errors name its file:line and the key. */
    public static ServeConfig load(Path file) {
        MapNode root = new YamlLoader().load(file);
        ServeConfig raw = ConfigBinder.bind(ServeConfig.class, root, "");
        Path dir = file.toAbsolutePath().getParent();
        Map<String, ModelEntry> resolved = new LinkedHashMap<>();
        raw.models().forEach((name, entry) -> resolved.put(name, entry.resolve(dir)));
        return new ServeConfig(raw.host(), raw.port(), raw.apiKeys(), raw.memoryBudget(), resolved, raw.limits(),
                raw.corsOrigins(), raw.imageSources().resolve(dir),
                raw.loras() == null ? null : dir.resolve(raw.loras()).normalize(),
                raw.controlnets() == null ? null : dir.resolve(raw.controlnets()).normalize(), raw.adapterCache());
    }

    /** A server of one model with the default settings ({@code mix serve --model DIR} or {@code PIPELINE.yaml}). */
    public static ServeConfig single(String name, ModelEntry entry) {
        return new ServeConfig("127.0.0.1", 8000, List.of(), null, Map.of(name, entry), Limits.defaults(), List.of(),
                ImageSources.none(), null, null, "256MiB");
    }

    /** This configuration listening elsewhere. */
    public ServeConfig withAddress(String newHost, int newPort) {
        return new ServeConfig(newHost, newPort, apiKeys, memoryBudget, models, limits, corsOrigins, imageSources, loras,
                controlnets, adapterCache);
    }

    /** This configuration with other limits. */
    public ServeConfig withLimits(Limits newLimits) {
        return new ServeConfig(host, port, apiKeys, memoryBudget, models, newLimits, corsOrigins, imageSources, loras,
                controlnets, adapterCache);
    }

    /** This configuration with another memory budget (bytes, or a size such as {@code "2GiB"}). */
    public ServeConfig withMemoryBudget(Object budget) {
        return new ServeConfig(host, port, apiKeys, budget, models, limits, corsOrigins, imageSources, loras,
                controlnets, adapterCache);
    }

    /** This configuration with other CORS origins. */
    public ServeConfig withCorsOrigins(List<String> origins) {
        return new ServeConfig(host, port, apiKeys, memoryBudget, models, limits, origins, imageSources, loras,
                controlnets, adapterCache);
    }

    /** This configuration reading images also from these sources. */
    public ServeConfig withImageSources(ImageSources sources) {
        return new ServeConfig(host, port, apiKeys, memoryBudget, models, limits, corsOrigins, sources, loras,
                controlnets, adapterCache);
    }

    /** This configuration with other API keys. */
    public ServeConfig withApiKeys(List<String> keys) {
        return new ServeConfig(host, port, keys, memoryBudget, models, limits, corsOrigins, imageSources, loras,
                controlnets, adapterCache);
    }

    /** This configuration with other LoRA and ControlNet folders (either {@code null} for none). */
    public ServeConfig withAdapterFolders(Path loraFolder, Path controlnetFolder) {
        return new ServeConfig(host, port, apiKeys, memoryBudget, models, limits, corsOrigins, imageSources, loraFolder,
                controlnetFolder, adapterCache);
    }

    /** {@link #adapterCache} in bytes. */
    public long adapterCacheBytes() {
        return ByteSize.parse("adapter_cache", adapterCache);
    }
}
