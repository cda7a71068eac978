package org.mix4j.spark;

import java.io.Serializable;
import java.util.List;

/**
 * What a batch inference job does: the pipeline, the dataset, the output and the column names.
 * Everything is text or numbers, so the options travel to the executors inside the partition
 * function (paths are resolved where they are used: {@link PipelineCache}).
 *
 * @param pipeline the pipeline YAML: an absolute path every executor can read, or the file name of
 *     a {@code --files} upload, or a path relative to the executor's working directory
 * @param input a Parquet file or folder, a {@code .jsonl}/{@code .json} file or folder, or a folder of images
 * @param format {@code parquet}, {@code jsonl}, {@code images}, or {@code null}: from {@code input}
 * @param output the Parquet folder results are appended to (also what a rerun skips)
 * @param imageRoot relative image paths resolve against it ({@code null}: the folder holding the input)
 * @param imagesOut generation: the folder PNGs are written to ({@code null}: PNG bytes in the row)
 * @param prompt the prompt of rows that have none (an image folder: "caption every image")
 * @param batchSize rows per model call ({@code 0}: the task's default, see {@link RowTask})
 * @param partitions repartition the rows to do into this many partitions ({@code 0}: keep the input's)
 * @param chunkRows rows per committed chunk: the rows to do are written in chunks of about this
 *     many, each its own Spark job, so a run that dies keeps the chunks it finished
 * @param threads Java threads each executor's pipeline splits large ops into ({@code 0}: the JVM's processors)
 * @param pluginsDir pf4j plugins folder on the executors ({@code null}: built-in components only)
 */
public record JobOptions(String pipeline, String input, String format, String output, Columns columns,
        String imageRoot, String imagesOut, String prompt, int batchSize, int partitions, int chunkRows, int threads,
        String pluginsDir) implements Serializable {

    /** Rows per committed chunk when the job does not say. */
    public static final int DEFAULT_CHUNK_ROWS = 100_000;

    /** The input's column names. */
    public record Columns(String id, String image, String prompt, String text, String seed) implements Serializable {

        public static Columns defaults() {
            return new Columns("id", "image", "prompt", "text", "seed");
        }
    }

    public JobOptions {
        require(pipeline, "--pipeline");
        require(input, "--input");
        require(output, "--output");
        columns = columns == null ? Columns.defaults() : columns;
        if (format != null && !List.of("parquet", "jsonl", "images").contains(format)) {
            throw new IllegalArgumentException("--format " + format + ": use parquet, jsonl or images");
        }
        if (batchSize < 0 || partitions < 0 || threads < 0) {
            throw new IllegalArgumentException("--batch-size, --partitions and --threads must be >= 0");
        }
        if (chunkRows < 1) {
            throw new IllegalArgumentException("--chunk-rows must be >= 1, got " + chunkRows);
        }
    }

    /** A job with the required parts; the rest default until set. */
    public static Builder builder(String pipeline, String input, String output) {
        return new Builder(pipeline, input, output);
    }

    /** A builder holding these options. */
    public Builder toBuilder() {
        return builder(pipeline, input, output).format(format).columns(columns).imageRoot(imageRoot)
                .imagesOut(imagesOut).prompt(prompt).batchSize(batchSize).partitions(partitions).chunkRows(chunkRows)
                .threads(threads).pluginsDir(pluginsDir);
    }

    /** The optional knobs of a job, each named; {@link #build()} checks them. */
    public static final class Builder {
        private final String pipeline;
        private final String input;
        private final String output;
        private String format;
        private Columns columns = Columns.defaults();
        private String imageRoot;
        private String imagesOut;
        private String prompt;
        private int batchSize;
        private int partitions;
        private int chunkRows = DEFAULT_CHUNK_ROWS;
        private int threads;
        private String pluginsDir;

        private Builder(String pipeline, String input, String output) {
            this.pipeline = pipeline;
            this.input = input;
            this.output = output;
        }

        public Builder format(String v) {
            format = v;
            return this;
        }

        public Builder columns(Columns v) {
            columns = v;
            return this;
        }

        public Builder imageRoot(String v) {
            imageRoot = v;
            return this;
        }

        public Builder imagesOut(String v) {
            imagesOut = v;
            return this;
        }

        public Builder prompt(String v) {
            prompt = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder partitions(int v) {
            partitions = v;
            return this;
        }

        public Builder chunkRows(int v) {
            chunkRows = v;
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public Builder pluginsDir(String v) {
            pluginsDir = v;
            return this;
        }

        public JobOptions build() {
            return new JobOptions(pipeline, input, format, output, columns, imageRoot, imagesOut, prompt, batchSize,
                    partitions, chunkRows, threads, pluginsDir);
        }
    }

    private static void require(String value, String option) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(option + " is required");
        }
    }
}
