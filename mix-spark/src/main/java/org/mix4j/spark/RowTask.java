package org.mix4j.spark;

import java.util.List;
import org.apache.spark.sql.types.StructField;

/**
 * What one pipeline task does to the rows of a partition: {@link #prepare} each row alone (decode
 * its image, find its prompt; a failure is that row's error), then {@link #run} a batch of prepared
 * rows through the model (when a batch fails, {@link PartitionRunner} runs its rows one by one, so
 * only the row that fails alone gets the error).
 *
 * @param <P> a prepared row
 */
interface RowTask<P> {

    /** The result columns, between {@code id} and {@code ms}. */
    List<StructField> columns();

    /** Rows per model call when the job does not say: one (exactly what {@code mix run} and {@code mix generate} do). */
    default int defaultBatchSize() {
        return 1;
    }

    P prepare(InputRow row);

    /** The values of {@link #columns()} for each row, in order. */
    List<Object[]> run(List<P> rows);

    /** The task of a loaded pipeline. */
    static RowTask<?> of(LoadedPipeline loaded, JobOptions options) {
        return switch (loaded.config().task()) {
            case "retrieval" -> new EmbeddingTask(loaded, options);
            case "understanding", "text" -> new AnswerTask(loaded, options);
            case "generation" -> new ImageTask(loaded, options);
            default -> throw new IllegalArgumentException("no batch task for '" + loaded.config().task() + "'");
        };
    }

    /** The result columns of {@code task}, known on the driver before any pipeline loads. */
    static List<StructField> columns(String task) {
        return switch (task) {
            case "retrieval" -> EmbeddingTask.COLUMNS;
            case "understanding", "text" -> AnswerTask.COLUMNS;
            case "generation" -> ImageTask.COLUMNS;
            default -> throw new IllegalArgumentException("task '" + task
                    + "' has no batch inference (retrieval, understanding, text, generation)");
        };
    }
}
