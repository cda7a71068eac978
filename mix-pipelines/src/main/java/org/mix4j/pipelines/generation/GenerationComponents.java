package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Autoencoder;
import org.mix4j.api.ControlNet;
import org.mix4j.api.Denoiser;
import org.mix4j.api.Role;
import org.mix4j.api.Scheduler;
import org.mix4j.api.TextEncoder;
import org.mix4j.api.Tokenizer;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of a text-to-image pipeline, loaded through the {@link ComponentLoader} from their
 * sections (slots of {@link Tasks#GENERATION}). The text encoder and tokenizer may be absent when
 * a caller hands over token ids or prompt embeddings itself; the ControlNet is optional. Closing
 * frees every loaded weight.
 */
public final class GenerationComponents implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationComponents.class);

    private final TextEncoder textEncoder;
    private final Tokenizer tokenizer;
    private final Denoiser denoiser;
    private final ControlNet controlNet;
    private final Autoencoder vae;
    private final Scheduler scheduler;

    public GenerationComponents(TextEncoder textEncoder, Tokenizer tokenizer, Denoiser denoiser, Autoencoder vae,
            Scheduler scheduler) {
        this(textEncoder, tokenizer, denoiser, null, vae, scheduler);
    }

    /** @param controlNet the ControlNet, or {@code null} */
    public GenerationComponents(TextEncoder textEncoder, Tokenizer tokenizer, Denoiser denoiser, ControlNet controlNet,
            Autoencoder vae, Scheduler scheduler) {
        if (denoiser == null || vae == null || scheduler == null) {
            throw new IllegalArgumentException("a generation pipeline needs a denoiser, a vae and a scheduler");
        }
        this.textEncoder = textEncoder;
        this.tokenizer = tokenizer;
        this.denoiser = denoiser;
        this.controlNet = controlNet;
        this.vae = vae;
        this.scheduler = scheduler;
    }

    /** Loads the components of a {@code task: generation} pipeline in its dtype. */
    public static GenerationComponents load(PipelineConfig config, ComponentLoader loader, NDManager manager) {
        DataType dtype = config.dataType();
        double eta = config.settings(DiffusionSettings.class).eta();
        return load(config.components(), config.checkpoint(), loader, manager, dtype, eta);
    }

    /**
     * Loads the sections present in {@code sections} (keyed by slot).
     *
     * @param eta DDIM's eta ({@code DiffusionSettings.eta}); a nonzero value overrides the
     *     {@code ddim} section's own {@code eta}
     */
    public static GenerationComponents load(Map<String, ComponentSpec> sections, Path checkpoint, ComponentLoader loader,
            NDManager manager, DataType dtype, double eta) {
        List<AutoCloseable> loaded = new ArrayList<>();
        try {
            TextEncoder textEncoder = loadOptional(sections, "text_encoder", checkpoint, loader, manager, dtype, loaded);
            Tokenizer tokenizer = loadOptional(sections, "tokenizer", checkpoint, loader, manager, dtype, loaded);
            Denoiser denoiser = loadRequired(sections, "denoiser", checkpoint, loader, manager, dtype, loaded);
            ControlNet controlNet = loadOptional(sections, "controlnet", checkpoint, loader, manager, dtype, loaded);
            Autoencoder vae = loadRequired(sections, "vae", checkpoint, loader, manager, dtype, loaded);
            ComponentSpec schedulerSpec = withEta(required(sections, "scheduler"), eta);
            Scheduler scheduler = loader.load(schedulerSpec, Role.SCHEDULER, checkpoint, manager, dtype);
            return new GenerationComponents(textEncoder, tokenizer, denoiser, controlNet, vae, scheduler);
        } catch (RuntimeException | Error e) {
            for (AutoCloseable c : loaded) {
                closeQuietly(c);
            }
            throw e;
        }
    }

    /** DDIM takes eta as a config key; the other samplers have none (diffusers ignores it for them). */
    private static ComponentSpec withEta(ComponentSpec spec, double eta) {
        if (eta == 0) {
            return spec;
        }
        if (!spec.type().equals("ddim")) {
            LOG.warn("eta {} applies to the ddim scheduler only; scheduler '{}' ignores it", eta, spec.type());
            return spec;
        }
        MapNode etaNode = (MapNode) ConfigNode.fromJava(Map.of("eta", eta),
                ConfigNode.Origin.of("pipeline setting 'eta'"));
        return new ComponentSpec(spec.path(), spec.type(), spec.weights(), spec.weightsPrefix(), spec.config(),
                spec.init(), spec.seed(), spec.quantize(), spec.quantizeInherited(), spec.options().with(etaNode), spec.typeOrigin());
    }

    private static ComponentSpec required(Map<String, ComponentSpec> sections, String slot) {
        ComponentSpec spec = sections.get(slot);
        if (spec == null) {
            throw new IllegalArgumentException("the generation pipeline has no '" + slot + ":' section");
        }
        return spec;
    }

    private static <T> T loadRequired(Map<String, ComponentSpec> sections, String slot, Path checkpoint,
            ComponentLoader loader, NDManager manager, DataType dtype, List<AutoCloseable> loaded) {
        required(sections, slot);
        return loadOptional(sections, slot, checkpoint, loader, manager, dtype, loaded);
    }

    private static <T> T loadOptional(Map<String, ComponentSpec> sections, String slot, Path checkpoint,
            ComponentLoader loader, NDManager manager, DataType dtype, List<AutoCloseable> loaded) {
        ComponentSpec spec = sections.get(slot);
        if (spec == null) {
            return null;
        }
        T component = loader.load(spec, Tasks.GENERATION.slots().get(slot), checkpoint, manager, dtype);
        if (component instanceof AutoCloseable c) {
            loaded.add(c);
        }
        return component;
    }

    /** The text encoder, or {@code null} when the pipeline was built without one. */
    public TextEncoder textEncoder() {
        return textEncoder;
    }

    /** The tokenizer, or {@code null} when the pipeline was built without one. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Denoiser denoiser() {
        return denoiser;
    }

    /** The ControlNet, or {@code null} when the pipeline has none. */
    public ControlNet controlNet() {
        return controlNet;
    }

    public Autoencoder vae() {
        return vae;
    }

    /** The template each call starts its own run from ({@link Scheduler#newRun}); never stepped itself. */
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public void close() {
        for (Object c : new Object[] {textEncoder, tokenizer, denoiser, controlNet, vae, scheduler}) {
            if (c instanceof AutoCloseable closeable) {
                closeQuietly(closeable);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debug("closing {} failed: {}", c, e.toString());
        }
    }
}
