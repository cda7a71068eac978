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

    /**
     * What one run adds to the pipeline's settings: the inputs. Steps, guidance, seed, size and the
     * rest are settings, set in the pipeline's tree ({@link org.mix4j.config.ConfigOverrides}).
     *
     * @param prompt the prompt (required)
     * @param initImage img2img: the image to start from, or {@code null}
     * @param controlImage ControlNet: the control image, or {@code null}
     * @param output the PNG to write ({@code null}: {@code out.png}); several images become
     *     {@code name-0.png}, {@code name-1.png}, ...
     */
    public record Inputs(String prompt, Path initImage, Path controlImage, Path output) {
        public Inputs {
            if (prompt == null) {
                throw new IllegalArgumentException("a prompt is needed (--prompt)");
            }
        }
    }

    /** {@code mix run}: {@code --prompt}, {@code -o}; an {@code --image} is the img2img start. */
    @Override
    public int run(PipelineConfig config, RunOptions options, ComponentLoader loader, PrintWriter out, PrintWriter err,
            ProgressListener progress) {
        Path init = options.images().isEmpty() ? null : options.images().get(0);
        for (Path file : run(config, new Inputs(options.prompt(), init, null, options.output()), loader, progress)) {
            out.println(file);
        }
        return 0;
    }

    /**
     * Runs {@code config} once with its settings on {@code inputs}.
     *
     * @return the PNG files written
     */
    public static List<Path> run(PipelineConfig config, Inputs inputs, ComponentLoader loader,
            ProgressListener progress) {
        if (!config.task().equals("generation")) {
            throw new IllegalArgumentException(config.file() + ": task " + config.task() + " is not generation");
        }
        GenerationRequest request = request(config.settings(DiffusionSettings.class), inputs);
        try (NDManager manager = NDManager.newBaseManager(config.device());
                GenerationComponents parts = GenerationComponents.load(config, loader, manager)) {
            try (GenerationResult result = new StableDiffusionPipeline(parts).generate(request, progress, manager)) {
                return write(result.images(), inputs.output() != null ? inputs.output() : Path.of("out.png"));
            }
        }
    }

    /** The pipeline's settings with the run's inputs. */
    static GenerationRequest request(DiffusionSettings settings, Inputs inputs) {
        GenerationRequest.Builder b = GenerationRequest.builder(settings).prompt(inputs.prompt());
        if (inputs.initImage() != null) {
            b.initImage(ImageDecoder.readRgb(inputs.initImage()));
        }
        if (inputs.controlImage() != null) {
            b.controlImage(ImageDecoder.readRgb(inputs.controlImage()));
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
