package org.mix4j.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.YamlLoader;
import org.mix4j.data.filter.FilterSettings;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.SampleReader;
import org.mix4j.spark.data.DataChain;
import org.mix4j.spark.data.DataJob;

/**
 * The {@code spark-submit} entry point of mix-data's tools: {@code --class org.mix4j.spark.DataMain
 * mix-spark.jar convert|filter|sample|chain --input IN --output OUT ...} ({@link #USAGE},
 * docs/data.md). The same formats, rules and sampler as {@code mix data}, as one Spark job.
 */
public final class DataMain {

    private DataMain() {}

    static final String USAGE = """
            usage: spark-submit --class org.mix4j.spark.DataMain mix-spark.jar COMMAND --input IN --output OUT [options]
              COMMAND: convert (needs --to), filter (needs --rules), sample (needs --count or --fraction), split, or
                       chain: convert -> filter -> sample -> split in one job, each step there when its option is given
                     DataMain stats --input IN [--json FILE] [--no-images] [--from F] [--skip-bad]: mix data stats
              --input FILE            a JSON array or JSONL data file (llava, sharegpt, openai or caption records)
              --output DIR            a folder of JSONL part files, in input order (cat DIR/part-* is the local output)
              --from FORMAT           the input's format (default: detected, as mix data does)
              --to FORMAT             convert: the output's format (llava, sharegpt, openai, caption)
              --caption-prompt TEXT   the prompt a caption pair's caption answers (default: Describe the picture.)
              --rules YAML            filter: mix data filter's rules file (min_side: 64, dedup: true, ...)
              --count N | --fraction F   sample: exactly N samples, or each with probability F
              --ratios R,R,...        split: the parts' shares (default 0.8,0.1,0.1), into OUT/NAME/part-*
              --names N,N,...         split: the parts' names (default train,val,test)
              --seed S                the sampler's and the split's seed (default 0), as mix data sample/split --seed S
              --partitions N          partitions the rules run over (default: the job's default parallelism)
              --skip-bad              report records that are not JSON or not the format, and go on
              --report FILE           write the steps' reports (counts, bad records, per rule) as JSON
              --json FILE             stats: write the numbers as JSON (mix data stats --json)
              --no-images             stats: skip the image-size histogram
            """;

    private static final List<String> COMMANDS = List.of("convert", "filter", "sample", "split", "chain", "stats");
    private static final List<String> KEYS = List.of("--input", "--output", "--from", "--to", "--caption-prompt",
            "--rules", "--count", "--fraction", "--ratios", "--names", "--seed", "--partitions", "--report", "--json");
    private static final List<String> FLAGS = List.of("--skip-bad", "--no-images");

    /** The job of {@code command} and {@code --key value} arguments; an unknown, repeated or missing key names itself. */
    static DataJob parse(int defaultPartitions, String... args) {
        if (args.length == 0 || !COMMANDS.contains(args[0])) {
            throw new IllegalArgumentException("the first argument is the command: " + String.join(", ", COMMANDS));
        }
        String command = args[0];
        if (command.equals("stats")) {
            throw new IllegalArgumentException("stats is not a chain step: DataMain stats --input IN [--json FILE]");
        }
        Map<String, String> v = options(args);
        Path input = Path.of(required(v, "--input"));
        Format from = v.containsKey("--from") ? Format.parse(v.get("--from")) : null;
        Format to = v.containsKey("--to") ? Format.parse(v.get("--to")) : null;
        if (command.equals("convert") && to == null) {
            to = from != null ? from : SampleReader.detect(input);
        }
        FilterSettings rules = v.containsKey("--rules") ? rules(Path.of(v.get("--rules"))) : null;
        Long count = v.containsKey("--count") ? number(v, "--count") : null;
        Double fraction = v.containsKey("--fraction") ? fraction(v.get("--fraction")) : null;
        boolean sample = count != null || fraction != null;
        boolean splits = command.equals("split") || v.containsKey("--ratios") || v.containsKey("--names");
        String misplaced = switch (command) {
            case "convert" -> rules != null || sample || splits ? "convert takes --to; the other steps' options belong to chain" : null;
            case "filter" -> rules == null ? "filter needs --rules YAML"
                    : to != null || sample || splits ? "filter takes --rules; the other steps' options belong to chain" : null;
            case "sample" -> !sample ? "sample needs --count N or --fraction F"
                    : to != null || rules != null || splits ? "sample takes --count or --fraction; the other steps' "
                    + "options belong to chain" : null;
            case "split" -> to != null || rules != null || sample ? "split takes --ratios and --names; the other "
                    + "steps' options belong to chain" : null;
            default -> to == null && rules == null && !sample && !splits
                    ? "chain needs at least one of --to, --rules, --count, --fraction, --ratios" : null;
        };
        if (misplaced != null) {
            throw new IllegalArgumentException(misplaced);
        }
        DataJob.Split split = !splits ? null : new DataJob.Split(
                List.of(v.getOrDefault("--names", "train,val,test").split(",")),
                Arrays.stream(v.getOrDefault("--ratios", "0.8,0.1,0.1").split(",")).map(DataMain::fraction).toList());
        int partitions = v.containsKey("--partitions") ? (int) number(v, "--partitions") : defaultPartitions;
        return new DataJob(input, Path.of(required(v, "--output")), from, to, v.get("--caption-prompt"), rules, count,
                fraction, v.containsKey("--seed") ? number(v, "--seed") : 0, partitions, v.containsKey("--skip-bad"), split);
    }

    /** mix data filter's rules file, bound as it binds it (errors name the file:line and key). */
    static FilterSettings rules(Path file) {
        FilterSettings s = ConfigBinder.bind(FilterSettings.class, new YamlLoader().load(file), "rules");
        return s.resolvedAgainst(file.toAbsolutePath().getParent());
    }

    /** The steps' reports as one JSON document. */
    static JsonObject report(String command, List<RunReport> steps, double seconds) {
        JsonObject o = new JsonObject();
        o.addProperty("command", "spark " + command);
        JsonArray a = new JsonArray();
        steps.forEach(s -> a.add(s.json()));
        o.add("steps", a);
        o.addProperty("seconds", Math.round(seconds * 1000) / 1000.0);
        long read = steps.get(0).json().getAsJsonObject("inputs").entrySet().iterator().next().getValue().getAsLong();
        o.addProperty("records_per_second", Math.round(read / Math.max(seconds, 1e-3)));
        return o;
    }

    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.print(USAGE);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("mix4j data " + args[0]).getOrCreate();
        int status;
        try {
            status = run(spark, args);
        } catch (Exception e) { // a task's error reaches the driver as a (checked) SparkException around it
            System.err.println("error: " + rootMessage(e));
            status = 1;
        } finally {
            spark.stop();
        }
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command of {@code args}; 2 for arguments that make no job (with the usage). */
    private static int run(SparkSession spark, String[] args) {
        if (args[0].equals("stats")) {
            stats(spark, args);
            return 0;
        }
        DataJob job;
        try {
            job = parse(spark.sparkContext().defaultParallelism(), args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.print(USAGE);
            return 2;
        }
        long start = System.nanoTime();
        List<RunReport> steps = DataChain.run(spark, job);
        JsonObject report = report(args[0], steps, (System.nanoTime() - start) / 1e9);
        for (RunReport r : steps) {
            System.out.println(r.json().get("command").getAsString() + ": " + r.json().get("inputs") + " -> "
                    + r.json().get("outputs") + (r.json().has("rules") ? " rules " + r.json().get("rules") : ""));
        }
        System.out.printf(Locale.ROOT, "%d records/s over %.1f s -> %s%n",
                report.get("records_per_second").getAsLong(), report.get("seconds").getAsDouble(), job.output());
        String file = options(args).get("--report");
        if (file != null) {
            write(Path.of(file), report);
        }
        return 0;
    }

    /** {@code mix data stats} on Spark: the same text and JSON. */
    static JsonObject stats(SparkSession spark, String... args) {
        Map<String, String> v = options(args);
        for (String key : List.of("--output", "--to", "--rules", "--count", "--fraction", "--seed", "--report")) {
            if (v.containsKey(key)) {
                throw new IllegalArgumentException(key + " does not apply to stats");
            }
        }
        int partitions = v.containsKey("--partitions") ? (int) number(v, "--partitions")
                : spark.sparkContext().defaultParallelism();
        JsonObject stats = DataChain.stats(spark, Path.of(required(v, "--input")),
                v.containsKey("--from") ? Format.parse(v.get("--from")) : null, v.get("--caption-prompt"),
                v.containsKey("--skip-bad"), !v.containsKey("--no-images"), partitions);
        System.out.print(org.mix4j.data.ops.Stats.describe(stats));
        if (v.containsKey("--json")) {
            write(Path.of(v.get("--json")), stats);
        }
        return stats;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String key = args[i];
            if (FLAGS.contains(key)) {
                values.put(key, "true");
                continue;
            }
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "'; valid: " + String.join(", ", KEYS)
                        + ", " + String.join(", ", FLAGS));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(key + " needs a value");
            }
            if (values.put(key, args[++i]) != null) {
                throw new IllegalArgumentException(key + " is given twice");
            }
        }
        return values;
    }

    private static String required(Map<String, String> v, String key) {
        String value = v.get(key);
        if (value == null) {
            throw new IllegalArgumentException(key + " is required");
        }
        return value;
    }

    private static long number(Map<String, String> v, String key) {
        try {
            return Long.parseLong(v.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " " + v.get(key) + ": not a whole number");
        }
    }

    private static double fraction(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' (--fraction, --ratios): not a number");
        }
    }

    /** The message of the innermost cause: a task's error (a bad record's file:line) reaches the driver wrapped. */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private static void write(Path file, JsonObject report) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Files.writeString(file, new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(report)
                    + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the report: " + e.getMessage(), e);
        }
    }
}
