package org.mix4j.spark;

import static org.apache.spark.sql.functions.col;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.mix4j.pipelines.retrieval.IndexBuilder;
import org.mix4j.pipelines.retrieval.IndexContents;
import org.mix4j.pipelines.retrieval.IndexEntry;
import org.mix4j.pipelines.retrieval.ModelFingerprint;

/**
 * The retrieval index of a job's Parquet output ({@code task: retrieval} over images): the rows
 * without an error, streamed to the driver partition by partition, into the file {@code mix index}
 * writes and {@code mix search} reads. For an image-folder job it is the index {@code mix index}
 * builds from that folder (same entries, sizes, modification times, root and model), so a later
 * {@code mix index} run on the folder only encodes what changed.
 */
public final class ParquetIndex {

    private ParquetIndex() {}

    /**
     * @param root the folder the ids are paths under; {@code null}: found from the rows (each
     *     row's image path ends with its id), {@code ""} when they do not agree
     */
    public static IndexContents build(SparkSession spark, String parquet, String root) {
        Dataset<Row> rows = spark.read().parquet(parquet)
                .where(col("error").isNull().and(col("source").equalTo("image")))
                .select("id", "embedding", "image", "size", "mtime_ns", "model_checkpoint", "model_encoder",
                        "model_hash");
        IndexBuilder builder = null;
        ModelFingerprint model = null;
        String foundRoot = null;
        boolean rootAgrees = true;
        for (Iterator<Row> it = rows.toLocalIterator(); it.hasNext();) {
            Row r = it.next();
            List<Float> values = r.getList(1);
            float[] embedding = new float[values.size()];
            for (int i = 0; i < embedding.length; i++) {
                embedding[i] = values.get(i);
            }
            ModelFingerprint rowModel = new ModelFingerprint(r.getString(5), r.getString(6), r.getString(7),
                    embedding.length);
            if (model == null) {
                model = rowModel;
                builder = new IndexBuilder(model, "");
            } else if (!model.sameModel(rowModel)) {
                throw new IllegalArgumentException(parquet + " holds embeddings of two models, " + model.describe()
                        + " and " + rowModel.describe() + "; they cannot share an index");
            }
            String rowRoot = rootOf(r.getString(2), r.getString(0));
            if (foundRoot == null) {
                foundRoot = rowRoot;
            }
            rootAgrees &= rowRoot != null && rowRoot.equals(foundRoot);
            builder.add(new IndexEntry(r.getString(0), r.isNullAt(3) ? 0 : r.getLong(3), r.isNullAt(4) ? 0 : r.getLong(4)),
                    embedding);
        }
        if (builder == null) {
            throw new IllegalArgumentException(parquet + ": no image embeddings without an error to index");
        }
        String indexRoot = root != null ? root : rootAgrees ? foundRoot : "";
        IndexContents contents = builder.build();
        return new IndexContents(contents.model(), indexRoot, contents.entries(), contents.embeddings());
    }

    /** {@code /albums/2019} for the image {@code /albums/2019/a/b.png} of id {@code a/b.png}; else {@code null}. */
    static String rootOf(String image, String id) {
        if (image == null || !image.endsWith("/" + id)) {
            return null;
        }
        return image.substring(0, image.length() - id.length() - 1);
    }
}
