package org.mix4j.pipelines.generation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.ConfigNode;
import org.mix4j.config.ConfigNode.ListNode;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * The text Automatic1111 writes into a PNG's {@code parameters} chunk, which ComfyUI, civitai and
 * image viewers read: the prompt, {@code Negative prompt: ...}, then one line of
 * {@code Key: value} pairs (steps, sampler, CFG scale, seed, size, model, LoRAs).
 */
public final class GenerationParameters {

    private GenerationParameters() {}

    /**
     * The parameters of one image: {@code seed} is that image's own seed; {@code img2img} adds the
     * strength ({@code Denoising strength}, as A1111 names it).
     */
    public static String of(PipelineConfig config, String prompt, long seed, int width, int height, boolean img2img) {
        return of(config, config.settings(DiffusionSettings.class), prompt, seed, width, height, img2img);
    }

    /**
     * The same with settings other than the pipeline's own (a served request's steps, guidance and
     * negative prompt over them).
     */
    public static String of(PipelineConfig config, DiffusionSettings s, String prompt, long seed, int width,
            int height, boolean img2img) {
        return of(config, s, prompt, seed, width, height, img2img, List.of(), false);
    }

    /**
     * The same for a call with its own LoRAs and ControlNet (a served request's): {@code loras} as
     * {@code file:scale}, listed after the pipeline's; {@code controlNet} whether the call brought one.
     */
    public static String of(PipelineConfig config, DiffusionSettings s, String prompt, long seed, int width,
            int height, boolean img2img, List<String> callLoras, boolean callControlNet) {
        StringBuilder text = new StringBuilder(prompt);
        if (!s.negativePrompt().isEmpty()) {
            text.append("\nNegative prompt: ").append(s.negativePrompt());
        }
        List<String> pairs = new ArrayList<>();
        pairs.add("Steps: " + s.numInferenceSteps());
        ComponentSpec scheduler = config.components().get("scheduler");
        if (scheduler != null) {
            pairs.add("Sampler: " + scheduler.type());
        }
        pairs.add("CFG scale: " + number(s.guidanceScale()));
        pairs.add("Seed: " + seed);
        pairs.add("Size: " + width + "x" + height);
        pairs.add("Model: " + model(config));
        List<String> loras = loras(config.components().get("denoiser"));
        loras.addAll(callLoras);
        if (!loras.isEmpty()) {
            pairs.add("Lora: " + String.join(" ", loras));
        }
        if (s.tiling() != null && !s.tiling().type().equals("none")) {
            pairs.add("Tiling: " + s.tiling().type() + " " + s.tiling().window() + "," + s.tiling().stride()
                    + (s.tiling().circular() ? " circular" : ""));
        }
        if (img2img) {
            pairs.add("Denoising strength: " + number(s.strength()));
        }
        if (config.components().get("controlnet") != null || callControlNet) {
            pairs.add("ControlNet scale: " + number(s.controlnetConditioningScale()));
        }
        return text.append('\n').append(String.join(", ", pairs)).toString();
    }

    private static String model(PipelineConfig config) {
        Path source = config.checkpoint() != null ? config.checkpoint() : Path.of(config.file());
        Path name = source.getFileName();
        return name == null ? source.toString() : name.toString();
    }

    /** {@code name:scale} per file of the denoiser's {@code lora:} list. */
    private static List<String> loras(ComponentSpec denoiser) {
        List<String> out = new ArrayList<>();
        if (denoiser == null || !(denoiser.options().get("lora") instanceof ListNode list)) {
            return out;
        }
        for (ConfigNode item : list.items()) {
            if (item instanceof MapNode m && m.get("file") instanceof Scalar file) {
                String scale = m.get("scale") instanceof Scalar sc && sc.value() != null ? sc.value().toString() : "1.0";
                out.add(Path.of(String.valueOf(file.value())).getFileName() + ":" + scale);
            }
        }
        return out;
    }

    private static String number(double v) {
        return Double.toString(v);
    }
}
