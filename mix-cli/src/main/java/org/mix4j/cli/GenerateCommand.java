package org.mix4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mix4j.config.ConfigException;
import org.mix4j.pipelines.generation.DiffusersLayout;
import org.mix4j.pipelines.generation.GenerationOptions;
import org.mix4j.pipelines.generation.GenerationTaskRunner;
import org.mix4j.pipelines.task.DiffusionSettings.DenoiseTiling;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Presets;
import org.pf4j.Extension;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mix generate PIPELINE.yaml --prompt "..." -o out.png}, or {@code --model DIR} on a
 * diffusers Stable Diffusion folder.
 */
@Extension
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Make images from a prompt with a task: generation pipeline (Stable Diffusion): text to image, "
                + "image to image (--init-image), MultiDiffusion panoramas (--tiling), ControlNet (--control-image). "
                + "Writes PNG files.")
public final class GenerateCommand implements Callable<Integer>, CliCommand {

    @Parameters(arity = "0..1", paramLabel = "PIPELINE.yaml", description = "A task: generation pipeline.")
    Path pipeline;

    @Option(names = "--model", paramLabel = "DIR", description = "A diffusers folder (model_index.json) instead of a YAML.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "With --model: a CLIP tokenizer folder, for checkpoints without one.")
    Path tokenizer;

    @Option(names = "--print-config", description = "With --model: print the equivalent pipeline YAML and exit.")
    boolean printConfig;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "What to draw.")
    String prompt;

    @Option(names = "--negative", paramLabel = "TEXT", description = "What to steer away from.")
    String negative;

    @Option(names = "--steps", paramLabel = "N", description = "Denoising steps (num_inference_steps).")
    Integer steps;

    @Option(names = "--guidance", paramLabel = "G", description = "Classifier-free guidance scale (guidance_scale).")
    Double guidance;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the first image; image i uses S + i.")
    Long seed;

    @Option(names = "--size", paramLabel = "WxH", description = "Output size in pixels, e.g. 512x512.")
    String size;

    @Option(names = "--init-image", paramLabel = "PATH", description = "img2img: the image to start from.")
    Path initImage;

    @Option(names = "--strength", paramLabel = "S", description = "img2img: share of the schedule that runs (0-1].")
    Double strength;

    @Option(names = "--num-images", paramLabel = "N", description = "Images per prompt.")
    Integer numImages;

    @Option(names = "--tiling", paramLabel = "WINDOW,STRIDE",
            description = "MultiDiffusion tiled denoising, window and stride in latent units (e.g. 64,8).")
    String tiling;

    @Option(names = "--circular", description = "With tiling: wrap round horizontally (360-degree panorama).")
    boolean circular;

    @Option(names = "--control-image", paramLabel = "PATH",
            description = "ControlNet: the control image (edges, depth, pose, ...); needs a controlnet: section.")
    Path controlImage;

    @Option(names = "--control-scale", paramLabel = "S", description = "ControlNet: controlnet_conditioning_scale.")
    Double controlScale;

    @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "PNG to write (default out.png); "
            + "several images become NAME-0.png, NAME-1.png, ...")
    Path output;

    private CliContext context;

    @Override
    public void init(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        if ((pipeline == null) == (model == null)) {
            throw new IllegalArgumentException("give a PIPELINE.yaml or --model DIR (one of them)");
        }
        PipelineConfig config;
        if (model != null) {
            String yaml = DiffusersLayout.yaml(model, DiffusersLayout.modelIndex(model), context.runtime().registry(),
                    tokenizer, settingsYaml()).orElseThrow(() -> new ConfigException(model.toString(), 0, 0, "",
                            "not a diffusers Stable Diffusion folder (model_index.json with one of "
                                    + DiffusersLayout.PIPELINES + ")", null));
            if (printConfig) {
                context.out().print(yaml);
                return 0;
            }
            config = Presets.parse(yaml, model);
        } else {
            if (printConfig || tokenizer != null) {
                throw new IllegalArgumentException("--print-config and --tokenizer go with --model DIR");
            }
            config = PipelineConfig.load(pipeline);
        }
        int[] wh = size == null ? null : parseSize(size);
        GenerationOptions options = new GenerationOptions(prompt, negative, steps, guidance, seed,
                wh == null ? null : wh[0], wh == null ? null : wh[1], initImage, strength, numImages,
                tiling(config), output, controlImage, controlScale);
        for (Path file : GenerationTaskRunner.run(config, options, context.runtime().loader(), new ConsoleProgress())) {
            context.out().println(file);
        }
        return 0;
    }

    /** The flags as top-level YAML settings, over diffusers' defaults (for {@code --print-config}). */
    private Map<String, String> settingsYaml() {
        Map<String, String> s = new LinkedHashMap<>(DiffusersLayout.defaultSettings());
        if (steps != null) {
            s.put("num_inference_steps", String.valueOf(steps));
        }
        if (guidance != null) {
            s.put("guidance_scale", String.valueOf(guidance));
        }
        if (seed != null) {
            s.put("seed", String.valueOf(seed));
        }
        if (size != null) {
            int[] wh = parseSize(size);
            s.put("size", "[" + wh[0] + ", " + wh[1] + "]");
        }
        if (negative != null) {
            s.put("negative_prompt", Presets.quote(negative));
        }
        if (numImages != null) {
            s.put("num_images_per_prompt", String.valueOf(numImages));
        }
        if (strength != null) {
            s.put("strength", String.valueOf(strength));
        }
        if (controlScale != null) {
            s.put("controlnet_conditioning_scale", String.valueOf(controlScale));
        }
        if (tiling != null) {
            int[] ws = parsePair(tiling, "--tiling", ",");
            s.put("tiling", "{ type: multidiffusion, window: " + ws[0] + ", stride: " + ws[1] + ", circular: "
                    + circular + " }");
        }
        return s;
    }

    /** {@code --tiling} (and {@code --circular}) over the pipeline's own tiling. */
    private DenoiseTiling tiling(PipelineConfig config) {
        DenoiseTiling base = config.settings(DiffusionSettings.class).tiling();
        if (tiling != null) {
            int[] ws = parsePair(tiling, "--tiling", ",");
            return new DenoiseTiling("multidiffusion", ws[0], ws[1], circular, base == null ? 1 : base.viewBatchSize());
        }
        if (circular) {
            if (base == null || base.type().equals("none")) {
                throw new IllegalArgumentException("--circular needs MultiDiffusion tiling: add --tiling WINDOW,STRIDE");
            }
            return new DenoiseTiling(base.type(), base.window(), base.stride(), true, base.viewBatchSize());
        }
        return null;
    }

    private static int[] parseSize(String text) {
        return parsePair(text.toLowerCase(java.util.Locale.ROOT), "--size", "x");
    }

    private static int[] parsePair(String text, String option, String separator) {
        List<String> parts = List.of(text.split(java.util.regex.Pattern.quote(separator), -1));
        try {
            if (parts.size() == 2) {
                int a = Integer.parseInt(parts.get(0).trim());
                int b = Integer.parseInt(parts.get(1).trim());
                if (a > 0 && b > 0) {
                    return new int[] {a, b};
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " expects two positive integers as A" + separator + "B, got '"
                + text + "'");
    }
}
