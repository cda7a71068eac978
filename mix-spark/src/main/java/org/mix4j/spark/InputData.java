package org.mix4j.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.mix4j.pipelines.retrieval.ImageFolder;

/**
 * The job's input as one table of the columns every task reads ({@link InputRow}): {@code id},
 * {@code image} (a path), {@code image_bytes}, {@code prompt}, {@code text}, {@code seed},
 * {@code size}, {@code mtime_ns}. Parquet and JSONL inputs name their columns ({@link JobOptions.Columns});
 * a binary image column is taken as the image's bytes, a text one as its path. A folder of images is
 * listed on the driver as {@code mix index} lists it: the id is the path below the folder.
 */
final class InputData {

    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("image", DataTypes.StringType)
            .add("image_bytes", DataTypes.BinaryType)
            .add("prompt", DataTypes.StringType)
            .add("text", DataTypes.StringType)
            .add("seed", DataTypes.LongType)
            .add("size", DataTypes.LongType)
            .add("mtime_ns", DataTypes.LongType);

    private InputData() {}

    static Dataset<Row> read(SparkSession spark, JobOptions options) {
        return switch (format(options)) {
            case "images" -> imageFolder(spark, Path.of(options.input()));
            case "jsonl" -> table(spark.read().json(options.input()), options);
            default -> table(spark.read().parquet(options.input()), options);
        };
    }

    /**
     * The format the job was given, else: {@code .jsonl}/{@code .json} is JSONL, {@code .parquet}
     * Parquet, and a local folder holding neither is a folder of images.
     */
    static String format(JobOptions options) {
        if (options.format() != null) {
            return options.format();
        }
        String name = options.input().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return "jsonl";
        }
        Path local = localPath(options.input());
        if (name.endsWith(".parquet") || local == null || !Files.isDirectory(local)) {
            return "parquet";
        }
        try (Stream<Path> files = Files.list(local)) {
            List<String> names = files.map(p -> p.getFileName().toString().toLowerCase(Locale.ROOT)).toList();
            if (names.stream().anyMatch(n -> n.endsWith(".parquet"))) {
                return "parquet";
            }
            return names.stream().anyMatch(n -> n.endsWith(".jsonl") || n.endsWith(".json")) ? "jsonl" : "images";
        } catch (IOException e) {
            throw new UncheckedIOException(options.input() + ": cannot list: " + e.getMessage(), e);
        }
    }

    /**
     * Where relative image paths resolve: the job's image root, else the folder that holds the input
     * (the JSONL file, or the Parquet file or dataset folder), as {@code mix run --input} resolves them.
     */
    static String imageRoot(JobOptions options) {
        if (options.imageRoot() != null) {
            return options.imageRoot();
        }
        Path local = localPath(options.input());
        if (local == null || !Files.exists(local)) {
            return null;
        }
        return local.toAbsolutePath().normalize().getParent().toString();
    }

    private static Path localPath(String input) {
        if (input.startsWith("file:")) {
            return Path.of(java.net.URI.create(input));
        }
        return input.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*") ? null : Path.of(input);
    }

    private static Dataset<Row> imageFolder(SparkSession spark, Path folder) {
        ImageFolder.Scan scan = ImageFolder.scan(folder);
        scan.unreadable().forEach(s -> System.err.println("warning: skipped " + s.path() + ": " + s.reason()));
        List<Row> rows = new ArrayList<>(scan.images().size());
        for (ImageFolder.ImageFile f : scan.images()) {
            rows.add(RowFactory.create(f.relative(), f.file().toAbsolutePath().normalize().toString(), null, null,
                    null, null, f.size(), f.mtimeNanos()));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }

    private static Dataset<Row> table(Dataset<Row> data, JobOptions options) {
        JobOptions.Columns c = options.columns();
        List<String> names = Arrays.asList(data.columns());
        if (!names.contains(c.id())) {
            throw new IllegalArgumentException(options.input() + ": no id column '" + c.id() + "' (columns: "
                    + String.join(", ", names) + "); name it with --id-col");
        }
        boolean bytes = names.contains(c.image())
                && data.schema().apply(c.image()).dataType().equals(DataTypes.BinaryType);
        return data.select(
                col(c.id()).cast(DataTypes.StringType).as("id"),
                bytes ? nulls(DataTypes.StringType, "image") : column(names, c.image(), DataTypes.StringType, "image"),
                bytes ? col(c.image()).as("image_bytes") : nulls(DataTypes.BinaryType, "image_bytes"),
                column(names, c.prompt(), DataTypes.StringType, "prompt"),
                column(names, c.text(), DataTypes.StringType, "text"),
                column(names, c.seed(), DataTypes.LongType, "seed"),
                nulls(DataTypes.LongType, "size"),
                nulls(DataTypes.LongType, "mtime_ns"));
    }

    private static Column column(List<String> names, String name, DataType type, String as) {
        return names.contains(name) ? col(name).cast(type).as(as) : nulls(type, as);
    }

    private static Column nulls(DataType type, String as) {
        return lit(null).cast(type).as(as);
    }
}
