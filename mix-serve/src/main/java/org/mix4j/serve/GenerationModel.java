package org.mix4j.serve;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mix4j.api.ControlNet;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.nn.LoraUpdate;
import org.mix4j.pipelines.generation.GenerationComponents;
import org.mix4j.pipelines.generation.GenerationParameters;
import org.mix4j.pipelines.generation.GenerationRequest;
import org.mix4j.pipelines.generation.GenerationResult;
import org.mix4j.pipelines.generation.ImageFiles;
import org.mix4j.pipelines.generation.StableDiffusionPipeline;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Tasks;

/**
 * A served generation pipeline: {@code mix generate}'s pipeline, with the LoRAs and ControlNets
 * requests name loaded on demand into its own caches and applied to those requests only (the
 * pipeline's per-call LoRAs and ControlNet, see {@link StableDiffusionPipeline}).
 */
final class GenerationModel extends PipelineModels.Loaded implements ServedModel.Painter {

    /** Where requests' LoRAs and ControlNets come from and how many bytes of each the model keeps. */
    record Sources(ComponentLoader loader, Path loras, Path controlnets, long cacheBytes) {}

    /** A per-request ControlNet and the manager that holds its weights. */
    private record HeldControlNet(ControlNet net, NDManager manager, long bytes) implements AutoCloseable {
        @Override
        public void close() {
            try {
                net.close();
            } finally {
                manager.close();
            }
        }
    }

    private final PipelineConfig config;
    private final StableDiffusionPipeline pipeline;
    private final AdapterCache<LoraUpdate> loras;
    private final AdapterCache<HeldControlNet> controlnets;

    GenerationModel(PipelineConfig config, GenerationComponents parts, NDManager manager, Sources sources) {
        super(Tasks.GENERATION.task(), parts, manager);
        this.config = config;
        this.pipeline = new StableDiffusionPipeline(parts);
        this.loras = new AdapterCache<>("lora", sources.loras(), ".safetensors", sources.cacheBytes(),
                file -> parts.denoiser().loadLora(file, manager.newSubManager()), LoraUpdate::bytes);
        this.controlnets = new AdapterCache<>("controlnet", sources.controlnets(), "", sources.cacheBytes(),
                dir -> loadControlNet(sources.loader(), dir, manager, config), HeldControlNet::bytes);
    }

    /** A ControlNet folder loaded as a YAML {@code controlnet:} section would load it, in the model's dtype. */
    private static HeldControlNet loadControlNet(ComponentLoader loader, Path dir, NDManager parent,
            PipelineConfig config) {
        NDManager manager = parent.newSubManager();
        try {
            ControlNet net = loader.load("controlnet", Role.CONTROLNET, dir, Map.of(), manager, config.dataType());
            return new HeldControlNet(net, manager, PipelineModels.residentBytes(manager));
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public Painter painter() {
        return this;
    }

    @Override
    public DiffusionSettings defaults() {
        return config.settings(DiffusionSettings.class);
    }

    @Override
    public int[] nativeSize() {
        int side = pipeline.components().denoiser().sampleSize() * pipeline.components().vae().scaleFactor();
        return new int[] {side, side};
    }

    @Override
    public long adapterBytes() {
        return loras.bytes() + controlnets.bytes();
    }

    @Override
    public List<String> loras() {
        return loras.available();
    }

    @Override
    public List<String> controlnets() {
        return controlnets.available();
    }

    @Override
    public List<byte[]> paint(String prompt, RgbImage init, DiffusionSettings settings, Adapters adapters,
            ProgressListener progress) {
        List<AutoCloseable> held = new ArrayList<>();
        try {
            GenerationRequest request = request(prompt, init, settings, adapters, held);
            List<String> named = adapters.loras().stream().map(l -> l.name() + ".safetensors:" + l.scale()).toList();
            return paint(prompt, settings, request, named, adapters.controlnet() != null, progress);
        } finally {
            for (AutoCloseable h : held) {
                try {
                    h.close();
                } catch (Exception ignored) {
                    // a release only counts down a cache entry's users
                }
            }
        }
    }

    /** The pipeline request, holding the request's LoRAs and ControlNet in their caches ({@code held}). */
    private GenerationRequest request(String prompt, RgbImage init, DiffusionSettings settings, Adapters adapters,
            List<AutoCloseable> held) {
        GenerationRequest.Builder b = GenerationRequest.builder(settings).prompt(prompt);
        if (init != null) {
            b.initImage(init);
        }
        for (int i = 0; i < adapters.loras().size(); i++) {
            Lora lora = adapters.loras().get(i);
            AdapterCache<LoraUpdate>.Use use = loras.use(lora.name(), "loras[" + i + "].name");
            held.add(use);
            adapters.events().used("lora", use.hit());
            b.lora(use.value(), lora.scale());
        }
        Control control = adapters.controlnet();
        if (control != null) {
            AdapterCache<HeldControlNet>.Use use = controlnets.use(control.name(), "controlnet.name");
            held.add(use);
            adapters.events().used("controlnet", use.hit());
            b.controlNet(use.value().net()).controlImage(control.image()).controlScale(control.scale());
        }
        return b.build();
    }

    /** The images as PNG files whose parameters name the request's LoRAs ({@code file:scale}) and ControlNet scale. */
    private List<byte[]> paint(String prompt, DiffusionSettings settings, GenerationRequest request,
            List<String> loraNames, boolean controlNet, ProgressListener progress) {
        try (NDManager work = manager().newSubManager();
                GenerationResult result = pipeline.generate(request, progress, work)) {
            List<RgbImage> images = result.images();
            List<byte[]> files = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                RgbImage image = images.get(i);
                files.add(ImageFiles.png(image, GenerationParameters.of(config, settings, prompt, request.seed(i),
                        image.width(), image.height(), request.img2img(), loraNames, controlNet)));
            }
            return files;
        }
    }

    @Override
    public void close() {
        try {
            loras.close();
            controlnets.close();
        } finally {
            super.close();
        }
    }
}
