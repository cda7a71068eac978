package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.mix4j.pipelines.generation.MultiDiffusionViews.View;
import org.mix4j.pipelines.generation.PipelineNoise.Draw;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;
import org.pf4j.Extension;

/**
 * Golden kinds {@code sd_pipeline}, {@code sd_img2img}, {@code sd_panorama} and
 * {@code controlnet_pipeline}: the case folder
 * loaded as {@code mix generate --model} loads a diffusers folder, and one
 * {@link StableDiffusionPipeline} run per case (per {@code runs} entry for the panorama) with the
 * stored token ids and random draws injected. The outputs are what the run's observer saw.
 */
@Extension
public final class StableDiffusionCaseRunner implements CaseRunner {

    private final ComponentLoader loader;

    @Inject
    public StableDiffusionCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("sd_pipeline", "sd_img2img", "sd_panorama", "controlnet_pipeline");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        String yaml = DiffusersLayout.yaml(c.dir(), DiffusersLayout.modelIndex(c.dir()), loader.registry(), null, null)
                .orElseThrow(() -> new IllegalArgumentException(c.dir() + ": model_index.json is not a Stable Diffusion "
                        + "pipeline"));
        double eta = c.json().has("eta") ? c.number("eta") : 0.0;
        try (GenerationComponents parts = GenerationComponents.load(DiffusersLayout.sections(yaml, c.name()), c.dir(),
                loader, manager, DataType.FLOAT32, eta)) {
            StableDiffusionPipeline pipeline = new StableDiffusionPipeline(parts);
            return switch (c.kind()) {
                case "sd_pipeline" -> once(pipeline, request(c, manager).build(),
                        stored(c, manager, Map.of(Draw.INITIAL_LATENTS, "latents_init")), "noise_preds", manager);
                case "sd_img2img" -> once(pipeline,
                        request(c, manager).initImage(rgb(c.tensor("init_image", manager))).strength(c.number("strength"))
                                .build(),
                        stored(c, manager, Map.of(Draw.VAE_SAMPLE, "vae_sample_noise", Draw.IMG2IMG_NOISE, "noise")),
                        "noise_preds", manager);
                case "controlnet_pipeline" -> once(pipeline,
                        request(c, manager).controlImage(rgb(c.tensor("control_image", manager)))
                                .controlScale(c.number("controlnet_conditioning_scale")).build(),
                        stored(c, manager, Map.of(Draw.INITIAL_LATENTS, "latents_init")), "noise_preds", manager);
                default -> panorama(c, pipeline, manager);
            };
        }
    }

    private static GenerationRequest.Builder request(GoldenCase c, NDManager manager) {
        return GenerationRequest.builder()
                .promptIds(c.tensor("input_ids", manager), c.tensor("negative_input_ids", manager))
                .size(size(c, "width"), size(c, "height"))
                .steps((int) c.number("num_inference_steps"))
                .guidanceScale(c.number("guidance_scale"));
    }

    /** {@code width} or {@code height}; {@code null} (the reference did not pass it) leaves it to the pipeline. */
    private static int size(GoldenCase c, String key) {
        JsonElement value = c.json().get(key);
        return value == null || value.isJsonNull() ? 0 : (int) c.number(key);
    }

    private static Map<String, NDArray> once(StableDiffusionPipeline pipeline, GenerationRequest r,
            PipelineNoise noise, String noisePredName, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        run(pipeline, r, noise, noisePredName, "", out, manager);
        return out;
    }

    /** Each entry of {@code runs}: MultiDiffusion with its views, outputs under its prefix. */
    private Map<String, NDArray> panorama(GoldenCase c, StableDiffusionPipeline pipeline, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        int window = (int) c.number("window_size");
        int stride = (int) c.number("stride");
        int factor = pipeline.components().vae().scaleFactor();
        for (JsonElement e : c.json().getAsJsonArray("runs")) {
            JsonObject run = e.getAsJsonObject();
            boolean circular = run.get("circular_padding").getAsBoolean();
            DenoiseTiling tiling = new DenoiseTiling("multidiffusion", window, stride, circular,
                    run.get("view_batch_size").getAsInt());
            List<View> planned = MultiDiffusionViews.plan((int) c.number("height") / factor,
                    (int) c.number("width") / factor, window, stride, circular);
            List<View> expected = views(run.getAsJsonArray("views"));
            if (!planned.equals(expected)) {
                throw new IllegalStateException("run '" + run.get("prefix").getAsString() + "': planned views " + planned
                        + " differ from the reference's " + expected);
            }
            GenerationRequest r = request(c, manager).tiling(tiling).build();
            Map<String, NDArray> outputs = new LinkedHashMap<>();
            run(pipeline, r, stored(c, manager, Map.of(Draw.INITIAL_LATENTS, "latents_init")), "noise_preds_views", "",
                    outputs, manager);
            String prefix = run.get("prefix").getAsString();
            outputs.forEach((name, value) -> out.putIfAbsent(name.contains("prompt_embeds") || name.equals("timesteps")
                    ? name : prefix + name, value));
        }
        return out;
    }

    private static void run(StableDiffusionPipeline pipeline, GenerationRequest r, PipelineNoise noise,
            String noisePredName, String prefix, Map<String, NDArray> out, NDManager manager) {
        StepRecorder recorder = new StepRecorder(manager);
        GenerationResult result = pipeline.generate(r, noise, recorder, ProgressListener.NONE, manager);
        recorder.outputs(noisePredName).forEach((name, value) -> out.put(prefix + name, value));
        boolean integer = pipeline.components().scheduler().integerTimesteps();
        out.put("timesteps", timesteps(recorder.timesteps(), integer, manager));
        out.put("timesteps_schedule", timesteps(recorder.schedule(), integer, manager));
        out.put(prefix + "latents_final", result.latents());
        out.put(prefix + "decoded", result.decoded());
        out.put(prefix + "image", result.image());
    }

    /** The stored tensors standing in for the pipeline's random draws; any other draw is an error. */
    private static PipelineNoise stored(GoldenCase c, NDManager manager, Map<Draw, String> names) {
        Map<Draw, NDArray> tensors = new LinkedHashMap<>();
        names.forEach((draw, name) -> tensors.put(draw, c.tensor(name, manager)));
        return (draw, target, shape) -> {
            NDArray t = tensors.get(draw);
            if (t == null) {
                throw new IllegalStateException("the pipeline drew " + draw + " noise; the case stores only " + names);
            }
            if (!t.getShape().equals(shape)) {
                throw new IllegalStateException(draw + ": the pipeline drew " + shape + ", the case stores " + t.getShape());
            }
            NDArray copy = t.duplicate();
            copy.attach(target);
            return copy;
        };
    }

    private static NDArray timesteps(double[] values, boolean integer, NDManager manager) {
        if (!integer) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) values[i];
            }
            return manager.create(f);
        }
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = Math.round(values[i]);
        }
        return manager.create(l);
    }

    /** A uint8 {@code [H, W, 3]} tensor as an image. */
    private static RgbImage rgb(NDArray pixels) {
        Shape s = pixels.getShape();
        if (s.dimension() != 3 || s.get(2) != 3 || pixels.getDataType() != DataType.UINT8) {
            throw new IllegalArgumentException("expected a uint8 [H, W, 3] image, got " + pixels.getDataType() + " " + s);
        }
        return new RgbImage((int) s.get(1), (int) s.get(0), pixels.toByteArray());
    }

    private static List<View> views(JsonArray array) {
        List<View> out = new ArrayList<>();
        for (JsonElement e : array) {
            JsonArray v = e.getAsJsonArray();
            out.add(new View(v.get(0).getAsInt(), v.get(1).getAsInt(), v.get(2).getAsInt(), v.get(3).getAsInt()));
        }
        return out;
    }
}
