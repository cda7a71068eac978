package org.mix4j.pipelines.generation;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToLongFunction;
import java.util.stream.Stream;
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
 * the images, writes them in the format of the output's extension (PNG with the generation
 * parameters, JPEG, ...).
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
     * @param output the image to write ({@code null}: {@code out.png}), its extension the format;
     *     several images become {@code name-0.png}, {@code name-1.png}, ...; a directory gets
     *     {@code 00000-SEED.png}, ...
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
        print(config, run(config, new Inputs(options.prompt(), init, null, options.output()), loader, progress),
                options.json(), out);
        return 0;
    }

    /** The files written, a path a line, or with {@code json} one {@code {"path", "seed"}} object a line. */
    public static void print(PipelineConfig config, List<Path> files, boolean json, PrintWriter out) {
        long seed = config.settings(DiffusionSettings.class).seed();
        for (int i = 0; i < files.size(); i++) {
            if (json) {
                com.google.gson.JsonObject o = new com.google.gson.JsonObject();
                o.addProperty("path", files.get(i).toString());
                o.addProperty("seed", seed + i); // image i uses seed + i (GenerationRequest.seed)
                out.println(o);
            } else {
                out.println(files.get(i));
            }
        }
        out.flush();
    }

    /**
     * Runs {@code config} once with its settings on {@code inputs}.
     *
     * @return the image files written
     */
    public static List<Path> run(PipelineConfig config, Inputs inputs, ComponentLoader loader,
            ProgressListener progress) {
        if (!config.task().equals("generation")) {
            throw new IllegalArgumentException(config.file() + ": task " + config.task() + " is not generation");
        }
        Path output = inputs.output() != null ? inputs.output() : Path.of("out.png");
        checkOutput(output);
        DiffusionSettings settings = config.settings(DiffusionSettings.class);
        GenerationRequest request = request(settings, inputs);
        try (NDManager manager = NDManager.newBaseManager(config.device());
                GenerationComponents parts = GenerationComponents.load(config, loader, manager)) {
            try (GenerationResult result = new StableDiffusionPipeline(parts).generate(request, progress, manager)) {
                List<RgbImage> images = result.images();
                List<Path> files = outputFiles(output, images.size(), request::seed);
                for (int i = 0; i < images.size(); i++) {
                    RgbImage image = images.get(i);
                    ImageFiles.write(image, files.get(i), GenerationParameters.of(config, inputs.prompt(),
                            request.seed(i), image.width(), image.height(), request.img2img()));
                }
                return files;
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

    /**
     * Refuses, before anything loads, an output whose extension ImageIO cannot write, and one whose
     * folder is a file or cannot be written. A path without an extension is a directory.
     */
    static void checkOutput(Path output) {
        boolean directory = Files.isDirectory(output) || ImageFiles.extension(output).isEmpty();
        if (!directory && !ImageFiles.writable(output)) {
            throw new IllegalArgumentException("-o " + output + ": cannot write ." + ImageFiles.extension(output)
                    + " images; use one of " + ImageFiles.formats() + " (or a directory)");
        }
        // the nearest folder that exists is where the missing ones will be created
        Path folder = directory ? output.toAbsolutePath() : output.toAbsolutePath().getParent();
        while (folder != null && !Files.exists(folder)) {
            folder = folder.getParent();
        }
        if (folder != null && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("-o " + output + ": " + folder + " is a file, not a directory");
        }
        if (folder != null && !Files.isWritable(folder)) {
            throw new IllegalArgumentException("-o " + output + ": cannot write into " + folder + " (permission denied)");
        }
    }

    /**
     * The files of {@code n} images: {@code out.png} for one image, {@code out-0.png},
     * {@code out-1.png}, ... for several; into a directory (an existing one, or a path without an
     * extension) as A1111 names them, {@code NNNNN-SEED.png} with the next free number.
     */
    static List<Path> outputFiles(Path output, int n, IntToLongFunction seed) {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(output) || ImageFiles.extension(output).isEmpty()) {
            int next = 0;
            for (int i = 0; i < n; i++) {
                Path file;
                do {
                    file = output.resolve(String.format("%05d-%d.png", next++, seed.applyAsLong(i)));
                } while (Files.exists(file) || numberTaken(output, next - 1));
                files.add(file);
            }
            return files;
        }
        String name = output.getFileName().toString();
        int dot = name.lastIndexOf('.');
        for (int i = 0; i < n; i++) {
            files.add(n == 1 ? output : output.resolveSibling(name.substring(0, dot) + "-" + i + name.substring(dot)));
        }
        return files;
    }

    private static boolean numberTaken(Path dir, int number) {
        String prefix = String.format("%05d-", number);
        try (Stream<Path> files = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
            return files.anyMatch(f -> f.getFileName().toString().startsWith(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
