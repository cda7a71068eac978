package org.mix4j.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * @param threads Java threads each executor's pipeline splits large ops into ({@code 0}: the JVM's processors)
 * @param pluginsDir pf4j plugins folder on the executors ({@code null}: built-in components only)
 */
public record JobOptions(String pipeline, String input, String format, String output, Columns columns,
        String imageRoot, String imagesOut, String prompt, int batchSize, int partitions, int threads,
        String pluginsDir) implements Serializable {

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
    }

    /** The job with only the required parts; the rest default. */
    public static JobOptions of(String pipeline, String input, String output) {
        return new JobOptions(pipeline, input, null, output, Columns.defaults(), null, null, null, 0, 0, 0, null);
    }

    public JobOptions withImagesOut(String folder) {
        return new JobOptions(pipeline, input, format, output, columns, imageRoot, folder, prompt, batchSize,
                partitions, threads, pluginsDir);
    }

    public JobOptions withBatchSize(int rows) {
        return new JobOptions(pipeline, input, format, output, columns, imageRoot, imagesOut, prompt, rows,
                partitions, threads, pluginsDir);
    }

    public JobOptions withThreads(int n) {
        return new JobOptions(pipeline, input, format, output, columns, imageRoot, imagesOut, prompt, batchSize,
                partitions, n, pluginsDir);
    }

    static final String USAGE = """
            usage: spark-submit --class org.mix4j.spark.BatchMain mix-spark.jar \\
                     --pipeline PIPELINE.yaml --input DATA --output OUT.parquet [options]
              --format parquet|jsonl|images   the input's format (default: from --input: a folder of images,
                                              *.jsonl / *.json, else Parquet)
              --id-col, --image-col, --prompt-col, --text-col, --seed-col NAME   input column names
                                              (default id, image, prompt, text, seed)
              --image-root DIR                relative image paths resolve against DIR (default: the folder
                                              holding the input)
              --images-out DIR                generation: write NAME.png there, the path in the row
                                              (default: the PNG bytes in the row's 'png' column)
              --prompt TEXT                   the prompt of rows without one
              --batch-size N                  rows per model call (default: the YAML's batch_size for
                                              retrieval, 1 for answers and images)
              --partitions N                  spread the rows to do over N partitions
              --threads N                     Java threads per executor pipeline (default: its processors)
              --plugins-dir DIR               pf4j plugins on the executors (default: built-ins only)
            """;

    /** Parses {@code --key value} arguments; an unknown or repeated key is an error naming it. */
    public static JobOptions parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> known = List.of("--pipeline", "--input", "--output", "--format", "--id-col", "--image-col",
                "--prompt-col", "--text-col", "--seed-col", "--image-root", "--images-out", "--prompt",
                "--batch-size", "--partitions", "--threads", "--plugins-dir");
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "'; valid: " + String.join(", ", known));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(key + " needs a value");
            }
            if (values.put(key, args[++i]) != null) {
                throw new IllegalArgumentException(key + " is given twice");
            }
        }
        Columns d = Columns.defaults();
        Columns columns = new Columns(values.getOrDefault("--id-col", d.id()),
                values.getOrDefault("--image-col", d.image()), values.getOrDefault("--prompt-col", d.prompt()),
                values.getOrDefault("--text-col", d.text()), values.getOrDefault("--seed-col", d.seed()));
        return new JobOptions(values.get("--pipeline"), values.get("--input"), values.get("--format"),
                values.get("--output"), columns, values.get("--image-root"), values.get("--images-out"),
                values.get("--prompt"), number(values, "--batch-size"), number(values, "--partitions"),
                number(values, "--threads"), values.get("--plugins-dir"));
    }

    private static int number(Map<String, String> values, String key) {
        String v = values.get(key);
        try {
            return v == null ? 0 : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " " + v + ": not a whole number");
        }
    }

    private static void require(String value, String option) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(option + " is required");
        }
    }
}
