package org.mix4j.spark;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.YamlLoader;
import org.mix4j.data.filter.FilterSettings;
import org.mix4j.data.ops.Mixing;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.records.Format;
import org.mix4j.data.records.SampleReader;
import org.mix4j.spark.data.DataChain;
import org.mix4j.spark.data.DataJob;
import org.mix4j.spark.data.DataMix;
import org.mix4j.spark.data.DataTag;

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
                     DataMain mix --inputs FILE:RATIO,FILE:RATIO,... --output OUT [--total N] [--seed S] [--to F]: mix data mix
                     DataMain tag --input IN --output OUT --pipeline YAML [--prompt TEXT] [--max-tags N]: mix data tag
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
              --inputs F:R,F:R,...    mix: the inputs and their shares (a.jsonl:3,b.jsonl:1)
              --total N               mix: samples in the mix (default: the largest that repeats no sample)
              --pipeline YAML         tag: a task: understanding pipeline, at a path every executor sees
              --prompt TEXT           tag: the question (default: mix data tag's)
              --max-tags N            tag: tags kept a sample (default 10)
            """;

    private static final List<String> COMMANDS = List.of("convert", "filter", "sample", "split", "chain", "stats", "mix",
            "tag");
    private static final List<String> KEYS = List.of("--input", "--output", "--from", "--to", "--caption-prompt",
            "--rules", "--count", "--fraction", "--ratios", "--names", "--seed", "--partitions", "--report", "--json",
            "--inputs", "--total", "--pipeline", "--prompt", "--max-tags");
    /** The options of chain steps and of stats, which mix and tag do not take (and the reverse). */
    private static final List<String> CHAIN_KEYS = List.of("--rules", "--count", "--fraction", "--ratios", "--names",
            "--json", "--no-images");
    private static final List<String> MIX_KEYS = List.of("--inputs", "--total");
    private static final List<String> TAG_KEYS = List.of("--pipeline", "--prompt", "--max-tags");
    private static final List<String> FLAGS = List.of("--skip-bad", "--no-images");

    /** The job of {@code command} and {@code --key value} arguments; an unknown, repeated or missing key names itself. */
    static DataJob parse(int defaultPartitions, String... args) {
        if (args.length == 0 || !COMMANDS.contains(args[0])) {
            throw new IllegalArgumentException("the first argument is the command: " + String.join(", ", COMMANDS));
        }
        String command = args[0];
        if (command.equals("stats") || command.equals("mix") || command.equals("tag")) {
            throw new IllegalArgumentException(command + " is not a chain step: DataMain " + command + " --input IN ...");
        }
        Map<String, String> v = options(args);
        only(command, v, CHAIN_KEYS);
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

    /** {@code DataMain mix}: the inputs and ratios of {@code --inputs}, as {@code mix data mix FILE:RATIO ...}. */
    static List<Mixing.Part> parts(String inputs) {
        List<Mixing.Part> parts = new ArrayList<>();
        for (String s : inputs.split(",")) {
            int colon = s.lastIndexOf(':');
            try {
                parts.add(new Mixing.Part(Path.of(s.substring(0, colon)), Double.parseDouble(s.substring(colon + 1))));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--inputs '" + s + "': expected FILE:RATIO, e.g. captions.jsonl:0.3");
            }
        }
        return parts;
    }

    /** {@code DataMain mix}: {@code mix data mix} as a job; its report. */
    static RunReport mix(SparkSession spark, String... args) {
        Map<String, String> v = options(args);
        only("mix", v, MIX_KEYS);
        return DataMix.run(spark, parts(required(v, "--inputs")), Path.of(required(v, "--output")),
                v.containsKey("--total") ? number(v, "--total") : null, v.containsKey("--seed") ? number(v, "--seed") : 0,
                format(v, "--from"), format(v, "--to"), v.get("--caption-prompt"), v.containsKey("--skip-bad"),
                partitions(spark, v));
    }

    /** {@code DataMain tag}: {@code mix data tag} as a job; its report. */
    static RunReport tag(SparkSession spark, String... args) {
        Map<String, String> v = options(args);
        only("tag", v, TAG_KEYS);
        if (v.containsKey("--to") || v.containsKey("--seed")) {
            throw new IllegalArgumentException("tag takes no --to or --seed (it writes the input's format; greedy answers)");
        }
        return DataTag.run(spark, Path.of(required(v, "--input")), Path.of(required(v, "--output")),
                Path.of(required(v, "--pipeline")), v.get("--prompt"),
                v.containsKey("--max-tags") ? (int) number(v, "--max-tags") : 10, format(v, "--from"),
                v.get("--caption-prompt"), v.containsKey("--skip-bad"), partitions(spark, v));
    }

    /** Fails on an option of another command than {@code command} ({@code own}: the keys only it takes). */
    private static void only(String command, Map<String, String> v, List<String> own) {
        for (List<String> keys : List.of(CHAIN_KEYS, MIX_KEYS, TAG_KEYS)) {
            for (String key : keys) {
                if (keys != own && v.containsKey(key)) {
                    throw new IllegalArgumentException(key + " does not apply to " + command);
                }
            }
        }
        if ((command.equals("mix") && v.containsKey("--input")) || (!command.equals("mix") && v.containsKey("--inputs"))) {
            throw new IllegalArgumentException(command.equals("mix") ? "mix takes --inputs FILE:RATIO,..., not --input"
                    : "--inputs belongs to mix; " + command + " takes --input");
        }
    }

    private static Format format(Map<String, String> v, String key) {
        return v.containsKey(key) ? Format.parse(v.get(key)) : null;
    }

    private static int partitions(SparkSession spark, Map<String, String> v) {
        return v.containsKey("--partitions") ? (int) number(v, "--partitions") : spark.sparkContext().defaultParallelism();
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
        long read = 0; // the first step's inputs: one file, or mix's several
        for (var input : steps.get(0).json().getAsJsonObject("inputs").entrySet()) {
            read += input.getValue().getAsLong();
        }
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
        if (args[0].equals("mix") || args[0].equals("tag")) {
            long start = System.nanoTime();
            RunReport r;
            try {
                r = args[0].equals("mix") ? mix(spark, args) : tag(spark, args);
            } catch (IllegalArgumentException e) {
                System.err.println("error: " + e.getMessage());
                System.err.print(USAGE);
                return 2;
            }
            return finish(args, List.of(r), start, r.outputs().keySet().iterator().next());
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
        return finish(args, DataChain.run(spark, job), start, job.output().toString());
    }

    /** Prints the steps' counts and the speed, and writes {@code --report}. */
    private static int finish(String[] args, List<RunReport> steps, long start, String output) {
        JsonObject report = report(args[0], steps, (System.nanoTime() - start) / 1e9);
        for (RunReport r : steps) {
            System.out.println(r.json().get("command").getAsString() + ": " + r.json().get("inputs") + " -> "
                    + r.json().get("outputs") + (r.json().has("rules") ? " rules " + r.json().get("rules") : ""));
        }
        System.out.printf(Locale.ROOT, "%d records/s over %.1f s -> %s%n",
                report.get("records_per_second").getAsLong(), report.get("seconds").getAsDouble(), output);
        String file = options(args).get("--report");
        if (file != null) {
            write(Path.of(file), report);
        }
        return 0;
    }

    /** {@code mix data stats} on Spark: the same text and JSON. */
    static JsonObject stats(SparkSession spark, String... args) {
        Map<String, String> v = options(args);
        for (String key : List.of("--output", "--to", "--rules", "--count", "--fraction", "--seed", "--report", "--inputs",
                "--total", "--pipeline", "--prompt", "--max-tags")) {
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
