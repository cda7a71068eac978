package org.mix4j.spark;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code spark-submit} entry point: {@code --class org.mix4j.spark.BatchMain mix-spark.jar
 * --pipeline P.yaml --input DATA --output OUT} ({@link #USAGE}, docs/spark.md).
 */
public final class BatchMain {

    private BatchMain() {}

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
              --chunk-rows N                  commit the output every N rows or so (default 100000): a run
                                              that dies keeps the chunks it finished
              --threads N                     Java threads per executor pipeline (default: its processors)
              --plugins-dir DIR               pf4j plugins on the executors (default: built-ins only)
            """;

    /** Parses {@code --key value} arguments; an unknown or repeated key is an error naming it. */
    static JobOptions parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> known = List.of("--pipeline", "--input", "--output", "--format", "--id-col", "--image-col",
                "--prompt-col", "--text-col", "--seed-col", "--image-root", "--images-out", "--prompt",
                "--batch-size", "--partitions", "--chunk-rows", "--threads", "--plugins-dir");
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
        JobOptions.Columns d = JobOptions.Columns.defaults();
        JobOptions.Columns columns = new JobOptions.Columns(values.getOrDefault("--id-col", d.id()),
                values.getOrDefault("--image-col", d.image()), values.getOrDefault("--prompt-col", d.prompt()),
                values.getOrDefault("--text-col", d.text()), values.getOrDefault("--seed-col", d.seed()));
        return JobOptions.builder(values.get("--pipeline"), values.get("--input"), values.get("--output"))
                .format(values.get("--format")).columns(columns).imageRoot(values.get("--image-root"))
                .imagesOut(values.get("--images-out")).prompt(values.get("--prompt"))
                .batchSize(number(values, "--batch-size", 0)).partitions(number(values, "--partitions", 0))
                .chunkRows(number(values, "--chunk-rows", JobOptions.DEFAULT_CHUNK_ROWS))
                .threads(number(values, "--threads", 0)).pluginsDir(values.get("--plugins-dir"))
                .build();
    }

    private static int number(Map<String, String> values, String key, int absent) {
        String v = values.get(key);
        try {
            return v == null ? absent : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " " + v + ": not a whole number");
        }
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.print(USAGE);
            return;
        }
        JobOptions options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("mix4j " + options.pipeline()).getOrCreate();
        int status = 0;
        try {
            System.out.println(BatchInference.run(spark, options).describe() + " -> " + options.output());
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            status = 1;
        } finally {
            spark.stop();
        }
        if (status != 0) {
            System.exit(status);
        }
    }
}
