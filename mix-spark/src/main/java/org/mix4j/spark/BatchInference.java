package org.mix4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.mix4j.pipelines.task.PipelineConfig;

/**
 * Runs a mix4j pipeline YAML over a dataset on Spark and appends the results to a Parquet folder
 * (docs/spark.md). Each executor JVM loads the pipeline once ({@link PipelineCache}); each partition
 * runs its rows in batches ({@link PartitionRunner}). The job is resumable: ids that already have a
 * result without an error in the output are skipped, and new results go into new part files beside
 * the old ones, which are never rewritten; the rows to do are written in chunks of about
 * {@link JobOptions#chunkRows()}, each committed on its own, so a run that dies keeps what it finished.
 */
public final class BatchInference {

    /**
     * What a run did.
     *
     * @param skipped input rows whose id already had a result
     * @param rows rows written by this run
     * @param errors rows of this run whose {@code error} is set
     * @param chunks how many chunks were written (each its own Spark job and commit)
     */
    public record Summary(String task, long skipped, long rows, long errors, int chunks, double seconds) {

        public double rowsPerSecond() {
            return seconds > 0 ? rows / seconds : 0;
        }

        public String describe() {
            return String.format("%s: %d rows written (%d with an error) in %d chunk(s), %d already done, %.1f s, "
                    + "%.2f rows/s", task, rows, errors, chunks, skipped, seconds, rowsPerSecond());
        }
    }

    private BatchInference() {}

    /** The output's columns for {@code task}: {@code id}, the task's results, {@code ms}, {@code error}. */
    public static StructType outputSchema(String task) {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField("id", DataTypes.StringType, false));
        fields.addAll(RowTask.columns(task));
        fields.add(DataTypes.createStructField("ms", DataTypes.DoubleType, false));
        fields.add(DataTypes.createStructField("error", DataTypes.StringType, true));
        return DataTypes.createStructType(fields);
    }

    public static Summary run(SparkSession spark, JobOptions options) {
        long start = System.nanoTime();
        // the driver reads the YAML too: a wrong file fails here, before a task starts
        String task = PipelineConfig.load(PipelineCache.resolve(options.pipeline())).task();
        StructType schema = outputSchema(task);
        JobOptions job = options.toBuilder().format(InputData.format(options)).imageRoot(InputData.imageRoot(options))
                .build();
        Dataset<Row> input = InputData.read(spark, job);
        Dataset<Row> todo = input;
        long skipped = 0;
        if (outputExists(spark, job.output())) {
            Dataset<Row> done = spark.read().parquet(job.output());
            checkSameTask(job.output(), done.schema(), schema, task);
            Dataset<Row> doneIds = done.where(col("error").isNull()).select("id").distinct();
            skipped = input.join(doneIds, input.col("id").equalTo(doneIds.col("id")), "left_semi").count();
            todo = input.join(doneIds, input.col("id").equalTo(doneIds.col("id")), "left_anti");
        }
        LongAccumulator rows = spark.sparkContext().longAccumulator("mix4j rows");
        LongAccumulator errors = spark.sparkContext().longAccumulator("mix4j errors");
        long count = todo.count();
        // each chunk is its own job and commit: a run that dies keeps the chunks it finished
        int chunks = (int) Math.min(Integer.MAX_VALUE, (count + job.chunkRows() - 1) / job.chunkRows());
        for (int chunk = 0; chunk < chunks; chunk++) {
            Dataset<Row> rowsOfChunk = chunks == 1 ? todo
                    : todo.where(pmod(xxhash64(todo.col("id")), lit(chunks)).equalTo(chunk));
            if (job.partitions() > 0) {
                rowsOfChunk = rowsOfChunk.repartition(job.partitions());
            }
            rowsOfChunk.mapPartitions(new PartitionRunner(job, rows, errors), Encoders.row(schema))
                    .write().mode(SaveMode.Append).parquet(job.output());
        }
        return new Summary(task, skipped, rows.value(), errors.value(), chunks,
                (System.nanoTime() - start) / 1e9);
    }

    private static boolean outputExists(SparkSession spark, String output) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(output);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(path) && fs.listStatus(path, p -> !p.getName().startsWith("_")
                    && !p.getName().startsWith(".")).length > 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(output + ": cannot look at the output: " + e.getMessage(), e);
        }
    }

    /** Results of another task in the same folder would make a table nobody can read. */
    private static void checkSameTask(String output, StructType existing, StructType schema, String task) {
        List<String> have = Arrays.asList(existing.fieldNames());
        List<String> missing = Arrays.stream(schema.fieldNames()).filter(n -> !have.contains(n)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(output + " holds results without the columns " + missing + " of task: "
                    + task + " (columns: " + String.join(", ", have) + "); write to another output folder");
        }
    }
}
