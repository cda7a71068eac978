package org.mix4j.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.ModelFingerprint;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;

/**
 * {@code task: retrieval}: an L2-normalised embedding per row, of its image (the image tower, as
 * {@code mix index} encodes), or of its text when it has no image (the text tower, as
 * {@code mix search --text}). Image rows keep the file's path, size and modification time and
 * every row the model's fingerprint, so that {@code mix index --from-parquet} can build the same
 * index {@code mix index} builds.
 */
final class EmbeddingTask implements RowTask<EmbeddingTask.Prepared> {

    static final List<StructField> COLUMNS = List.of(
            DataTypes.createStructField("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("source", DataTypes.StringType, true),
            DataTypes.createStructField("image", DataTypes.StringType, true),
            DataTypes.createStructField("size", DataTypes.LongType, true),
            DataTypes.createStructField("mtime_ns", DataTypes.LongType, true),
            DataTypes.createStructField("model_checkpoint", DataTypes.StringType, true),
            DataTypes.createStructField("model_encoder", DataTypes.StringType, true),
            DataTypes.createStructField("model_hash", DataTypes.StringType, true));

    /** A row ready to embed: its decoded image, or {@code null} for a text row. */
    record Prepared(InputRow row, RgbImage image, String imageFile) {}

    private final RetrievalPipeline pipeline;
    private final JobOptions options;
    private final ImageDecoder decoder = new ImageDecoder();

    EmbeddingTask(LoadedPipeline loaded, JobOptions options) {
        this.pipeline = loaded.model(RetrievalPipeline.class);
        this.options = options;
    }

    @Override
    public List<StructField> columns() {
        return COLUMNS;
    }

    @Override
    public int defaultBatchSize() {
        return pipeline.settings().batchSize(); // what mix index uses
    }

    @Override
    public Prepared prepare(InputRow row) {
        if (row.hasImage()) {
            String file = row.image() == null ? null
                    : row.imageFile(options.imageRoot()).toAbsolutePath().normalize().toString();
            return new Prepared(row, row.decode(decoder, options.imageRoot()), file);
        }
        if (row.text() == null) {
            throw new IllegalArgumentException("the row has neither an image nor a text to embed (columns '"
                    + options.columns().image() + "', '" + options.columns().text() + "')");
        }
        return new Prepared(row, null, null);
    }

    @Override
    public List<Object[]> run(List<Prepared> rows) {
        List<RgbImage> images = new ArrayList<>();
        rows.stream().filter(p -> p.image() != null).forEach(p -> images.add(p.image()));
        float[][] imageEmbeddings = images.isEmpty() ? new float[0][] : pipeline.embedImages(images);
        ModelFingerprint model = pipeline.fingerprint();
        List<Object[]> out = new ArrayList<>(rows.size());
        int nextImage = 0;
        for (Prepared p : rows) {
            boolean image = p.image() != null;
            float[] embedding = image ? imageEmbeddings[nextImage++] : pipeline.embedText(p.row().text());
            out.add(new Object[] {boxed(embedding), image ? "image" : "text", p.imageFile(), p.row().size(),
                    p.row().mtimeNanos(), model.checkpoint(), model.encoder(), model.hash()});
        }
        return out;
    }

    /** Spark's encoder reads an array column from an object array. */
    private static Float[] boxed(float[] values) {
        Float[] out = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
