package org.mix4j.spark;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.mix4j.pipelines.retrieval.IndexContents;
import org.mix4j.pipelines.retrieval.IndexFile;

/**
 * {@code mix index --from-parquet}, as a {@code spark-submit} entry point: builds the retrieval
 * index of a job's embedding output ({@link ParquetIndex}) and writes it where {@code mix search}
 * reads it. It lives here, not in the {@code mix} command, because reading Parquet takes Parquet's
 * Hadoop-based reader (docs/spark.md); run it with {@code --master local[1]} on the machine that
 * searches.
 */
public final class IndexMain {

    static final String USAGE = """
            usage: spark-submit --class org.mix4j.spark.IndexMain --master local[1] mix-spark.jar \\
                     --from-parquet OUT.parquet --out INDEX [--root DIR]
              --root DIR   the folder the ids are paths under (default: found from the rows' image paths)
            """;

    private IndexMain() {}

    public static void main(String[] args) {
        String parquet = null;
        String out = null;
        String root = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--from-parquet" -> parquet = args[i + 1];
                case "--out" -> out = args[i + 1];
                case "--root" -> root = args[i + 1];
                default -> parquet = null;
            }
        }
        if (parquet == null || out == null || args.length % 2 != 0) {
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("mix4j index " + parquet).getOrCreate();
        try {
            IndexContents contents = ParquetIndex.build(spark, parquet, root);
            IndexFile.write(Path.of(out), contents);
            System.out.println(contents.count() + " images indexed (" + contents.model().describe() + ") -> " + out);
        } finally {
            spark.stop();
        }
    }
}
