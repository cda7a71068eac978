package org.mix4j.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The {@code spark-submit} entry point: {@code --class org.mix4j.spark.BatchMain mix-spark.jar
 * --pipeline P.yaml --input DATA --output OUT} ({@link JobOptions#USAGE}, docs/spark.md).
 */
public final class BatchMain {

    private BatchMain() {}

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.print(JobOptions.USAGE);
            return;
        }
        JobOptions options;
        try {
            options = JobOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(JobOptions.USAGE);
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
