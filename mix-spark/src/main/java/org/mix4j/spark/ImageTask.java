package org.mix4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.generation.GenerationParameters;
import org.mix4j.pipelines.generation.GenerationRequest;
import org.mix4j.pipelines.generation.GenerationResult;
import org.mix4j.pipelines.generation.ImageFiles;
import org.mix4j.pipelines.generation.StableDiffusionPipeline;
import org.mix4j.pipelines.task.DiffusionSettings;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * {@code task: generation}: an image per row from its prompt and seed (the YAML's seed when the
 * row has none), written as {@code mix generate --seed S -o FILE.png} writes it (the same pixels
 * and the same {@code parameters} chunk, so the same bytes): into {@code --images-out} as
 * {@code ID.png} with the path in the row, else as bytes in the row's {@code png} column.
 */
final class ImageTask implements RowTask<ImageTask.Prepared> {

    static final List<StructField> COLUMNS = List.of(
            DataTypes.createStructField("seed", DataTypes.LongType, true),
            DataTypes.createStructField("image", DataTypes.StringType, true),
            DataTypes.createStructField("png", DataTypes.BinaryType, true));

    /** A row ready to generate. */
    record Prepared(String id, String prompt, long seed) {}

    private final LoadedPipeline loaded;
    private final JobOptions options;
    private final DiffusionSettings settings;

    ImageTask(LoadedPipeline loaded, JobOptions options) {
        this.loaded = loaded;
        this.options = options;
        this.settings = loaded.config().settings(DiffusionSettings.class);
    }

    @Override
    public List<StructField> columns() {
        return COLUMNS;
    }

    @Override
    public Prepared prepare(InputRow row) {
        return new Prepared(row.id(), row.prompt(options, false), row.seed() != null ? row.seed() : settings.seed());
    }

    @Override
    public List<Object[]> run(List<Prepared> rows) {
        List<Object[]> out = new ArrayList<>(rows.size());
        for (Prepared p : rows) {
            out.add(generate(p));
        }
        return out;
    }

    private Object[] generate(Prepared p) {
        PipelineConfig config = loaded.config();
        // one image a row: a row is one (prompt, seed), whatever the YAML's num_images_per_prompt
        GenerationRequest request = GenerationRequest.builder(settings).prompt(p.prompt()).seed(p.seed())
                .imagesPerPrompt(1).build();
        try (NDManager scope = loaded.manager().newSubManager();
                GenerationResult result = loaded.model(StableDiffusionPipeline.class)
                        .generate(request, ProgressListener.NONE, scope)) {
            RgbImage image = result.images().get(0);
            String parameters = GenerationParameters.of(config, p.prompt(), request.seed(0), image.width(),
                    image.height(), false);
            if (options.imagesOut() != null) {
                Path file = Path.of(options.imagesOut()).resolve(fileName(p.id())).toAbsolutePath().normalize();
                ImageFiles.write(image, file, parameters);
                return new Object[] {p.seed(), file.toString(), null};
            }
            return new Object[] {p.seed(), null, pngBytes(image, parameters)};
        }
    }

    private static byte[] pngBytes(RgbImage image, String parameters) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile("mix-spark-", ".png");
            ImageFiles.write(image, tmp, parameters);
            return Files.readAllBytes(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a temporary PNG: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                tmp.toFile().delete();
            }
        }
    }

    /**
     * {@code ID.png}; an id with characters a file name should not hold (a path, spaces) has them
     * replaced by {@code _} and its CRC-32 appended, so that ids differing only there get different files.
     */
    static String fileName(String id) {
        String safe = id.replaceAll("[^A-Za-z0-9._-]", "_");
        if (!safe.equals(id) || safe.isEmpty() || safe.startsWith(".")) {
            CRC32 crc = new CRC32();
            crc.update(id.getBytes(StandardCharsets.UTF_8));
            safe = safe + "-" + HexFormat.of().toHexDigits((int) crc.getValue());
        }
        return safe + ".png";
    }
}
