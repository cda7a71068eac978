package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.RunOptions;
import org.mix4j.pipelines.task.TaskRunner;
import org.pf4j.Extension;

/**
 * {@code task: generation} for {@code mix run} and {@code mix generate}: loads the pipeline, makes
 * the images, writes them as PNG files.
 */
@Extension
public final class GenerationTaskRunner implements TaskRunner {

    @Override
    public String task() {
        return "generation";
    }

    /** {@code mix run}: {@code --prompt}, {@code --negative}, {@code --seed}, {@code --steps}, {@code -o}; an {@code --image} is the img2img start. */
    @Override
    public int run(PipelineConfig config, RunOptions options, ComponentLoader loader, PrintWriter out, PrintWriter err,
            ProgressListener progress) {
        Path init = options.images().isEmpty() ? null : options.images().get(0);
        GenerationOptions o = new GenerationOptions(options.prompt(), options.negativePrompt(), options.steps(), null,
                options.seed(), null, null, init, null, null, null, options.output(), null, null);
        for (Path file : run(config, o, loader, progress)) {
            out.println(file);
        }
        return 0;
    }

    /**
     * Runs {@code config} once with {@code options} on top of its settings.
     *
     * @return the PNG files written
     */
    public static List<Path> run(PipelineConfig config, GenerationOptions options, ComponentLoader loader,
            ProgressListener progress) {
        if (!config.task().equals("generation")) {
            throw new IllegalArgumentException(config.file() + ": task " + config.task() + " is not generation");
        }
        GenerationRequest request = request(config.settings(DiffusionSettings.class), options);
        try (NDManager manager = NDManager.newBaseManager();
                GenerationComponents parts = GenerationComponents.load(config, loader, manager)) {
            try (GenerationResult result = new StableDiffusionPipeline(parts).generate(request, progress, manager)) {
                return write(result.images(), options.output() != null ? options.output() : Path.of("out.png"));
            }
        }
    }

    /** The pipeline's settings with the options' overrides. */
    static GenerationRequest request(DiffusionSettings settings, GenerationOptions o) {
        GenerationRequest.Builder b = GenerationRequest.builder(settings).prompt(o.prompt());
        if (o.negative() != null) {
            b.negativePrompt(o.negative());
        }
        if (o.steps() != null) {
            b.steps(o.steps());
        }
        if (o.guidance() != null) {
            b.guidanceScale(o.guidance());
        }
        if (o.seed() != null) {
            b.seed(o.seed());
        }
        if (o.width() != null) {
            b.size(o.width(), o.height());
        }
        if (o.initImage() != null) {
            RgbImage image = ImageDecoder.readRgb(o.initImage());
            b.initImage(image);
        }
        if (o.strength() != null) {
            b.strength(o.strength());
        }
        if (o.numImages() != null) {
            b.imagesPerPrompt(o.numImages());
        }
        if (o.tiling() != null) {
            b.tiling(o.tiling());
        }
        if (o.controlImage() != null) {
            b.controlImage(ImageDecoder.readRgb(o.controlImage()));
        }
        if (o.controlScale() != null) {
            b.controlScale(o.controlScale());
        }
        return b.build();
    }

    /** {@code out.png} for one image; {@code out-0.png}, {@code out-1.png}, ... for several. */
    static List<Path> write(List<RgbImage> images, Path output) {
        List<Path> files = new ArrayList<>();
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String ext = dot > 0 ? name.substring(dot) : ".png";
        for (int i = 0; i < images.size(); i++) {
            Path file = images.size() == 1 ? output : output.resolveSibling(stem + "-" + i + ext);
            Images.writePng(images.get(i), file);
            files.add(file);
        }
        return files;
    }
}
