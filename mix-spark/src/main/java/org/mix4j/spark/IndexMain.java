package org.mix4j.spark;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        Map<String, String> values = new HashMap<>();
        boolean ok = args.length % 2 == 0;
        for (int i = 0; ok && i < args.length; i += 2) {
            ok = List.of("--from-parquet", "--out", "--root").contains(args[i])
                    && values.put(args[i], args[i + 1]) == null;
        }
        String parquet = values.get("--from-parquet");
        String out = values.get("--out");
        if (!ok || parquet == null || out == null) {
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        String root = values.get("--root");
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
