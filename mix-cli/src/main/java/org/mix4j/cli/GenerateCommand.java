package org.mix4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.MapNode;
import org.mix4j.config.ConfigNode.Origin;
import org.mix4j.config.ConfigNode.Scalar;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.config.YamlLoader;
import org.mix4j.pipelines.generation.DiffusersLayout;
import org.mix4j.pipelines.generation.GenerationTaskRunner;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.Preset;
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
                + "Writes PNG (with the generation parameters in a 'parameters' text chunk, as A1111 does), JPEG, ... "
                + "by the output's extension.")
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

    @Option(names = "--json", description = "Print one JSON object per image written: path and seed.")
    boolean json;

    @Option(names = "--device", paramLabel = "D", description = "Overrides device: (cpu, gpu, cuda:N).")
    String device;

    @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Image to write (default out.png); "
            + "the extension picks the format (png, jpg, bmp, gif, tif, ...); several images become NAME-0.png, "
            + "NAME-1.png, ...; a directory (or a path without extension) gets 00000-SEED.png, 00001-SEED.png, ...")
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
        if (strength != null && initImage == null && !printConfig) {
            throw new IllegalArgumentException("--strength is how much of an --init-image is redrawn (image to image); "
                    + "give --init-image PATH too, or leave --strength out");
        }
        PipelineConfig config;
        if (model != null) {
            Preset.Document document = DiffusersLayout.document(model, DiffusersLayout.modelIndex(model),
                    context.runtime().registry(), tokenizer).orElseThrow(() -> new ConfigException(
                            Origin.of(model.toString()), "", "not a diffusers Stable Diffusion folder (model_index.json "
                                    + "with one of " + DiffusersLayout.PIPELINES + ")", null));
            if (printConfig) {
                context.out().print(Presets.yaml(document, overrides(document.root())));
                return 0;
            }
            config = Presets.parse(document, model, overrides(document.root()));
        } else {
            if (printConfig || tokenizer != null) {
                throw new IllegalArgumentException("--print-config and --tokenizer go with --model DIR");
            }
            MapNode root = new YamlLoader().load(pipeline);
            config = PipelineConfig.parse(overrides(root).applyTo(root), pipeline.toString(),
                    pipeline.toAbsolutePath().getParent());
        }
        GenerationTaskRunner.Inputs inputs = new GenerationTaskRunner.Inputs(prompt, initImage, controlImage, output);
        GenerationTaskRunner.print(config, GenerationTaskRunner.run(config, inputs, context.runtime().loader(),
                new ConsoleProgress()), json, context.out());
        return 0;
    }

    /** The setting flags as overrides of {@code root}, the pipeline's document. */
    ConfigOverrides overrides(MapNode root) {
        int[] wh = size == null ? null : parseSize(size);
        ConfigOverrides o = new ConfigOverrides()
                .set("negative_prompt", negative, "--negative")
                .set("num_inference_steps", steps, "--steps")
                .set("guidance_scale", guidance, "--guidance")
                .set("seed", seed, "--seed")
                .set("size", wh == null ? null : List.of(wh[0], wh[1]), "--size")
                .set("strength", strength, "--strength")
                .set("num_images_per_prompt", numImages, "--num-images")
                .set("controlnet_conditioning_scale", controlScale, "--control-scale")
                .set("device", device, "--device");
        if (tiling != null) {
            int[] ws = parsePair(tiling, "--tiling", ",");
            o.set("tiling.type", "multidiffusion", "--tiling").set("tiling.window", ws[0], "--tiling")
                    .set("tiling.stride", ws[1], "--tiling").set("tiling.circular", circular, "--tiling");
        } else if (circular) {
            if (!(root.get("tiling") instanceof MapNode t) || isNone(t)) {
                throw new ConfigException(Origin.of("--circular"), "", "needs MultiDiffusion tiling: add --tiling "
                        + "WINDOW,STRIDE", null);
            }
            o.set("tiling.circular", true, "--circular");
        }
        return o;
    }

    private static boolean isNone(MapNode tiling) {
        return tiling.get("type") instanceof Scalar s && "none".equals(s.value());
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
