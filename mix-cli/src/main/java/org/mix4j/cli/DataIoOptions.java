package org.mix4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.mix4j.data.ops.DataRun;
import org.mix4j.data.ops.Progress;
import org.mix4j.data.ops.RunReport;
import org.mix4j.data.records.BadRecords;
import org.mix4j.data.records.Format;
import picocli.CommandLine.Option;

/** The options every streaming {@code mix data} tool shares: formats, bad records, report, progress. */
final class DataIoOptions {

    /** Inputs at least this large show progress unless {@code --no-progress}. */
    static final long PROGRESS_BYTES = 64L << 20;

    @Option(names = "--from", paramLabel = "FORMAT",
            description = "Input format: llava, sharegpt, openai or caption (default: detected from the first records).")
    String from;

    @Option(names = "--to", paramLabel = "FORMAT",
            description = "Output format (default: the input's). A .json output is a JSON array, anything else JSONL.")
    String to;

    @Option(names = "--caption-prompt", paramLabel = "TEXT",
            description = "The question a caption answers when pairs become conversations (default: \""
                    + Format.DEFAULT_CAPTION_PROMPT + "\").")
    String captionPrompt;

    @Option(names = "--skip-bad", description = "Report records that are not JSON or not the format (file:line) and go "
            + "on; without it the first one stops the run.")
    boolean skipBad;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the run's report (counts, bad records, rules) as JSON.")
    Path report;

    @Option(names = "--progress", negatable = true, description = "Progress with ETA on stderr (default: for inputs "
            + "over 64 MiB).")
    Boolean progress;

    DataRun run(CliContext context, Path input) {
        return new DataRun(from == null ? null : Format.parse(from), to == null ? null : Format.parse(to), captionPrompt,
                new BadRecords(!skipBad, context.err()), progress(context.err(), input));
    }

    /** Prints the summary line and writes the report file when asked. */
    void finish(CliContext context, RunReport r, String summary) {
        if (report != null) {
            r.write(report);
        }
        context.out().println(summary + (r.json().has("bad_records") && r.json().getAsJsonObject("bad_records")
                .get("count").getAsLong() > 0 ? ", " + r.json().getAsJsonObject("bad_records").get("count")
                + " bad record(s) skipped" : "") + (report != null ? "; report: " + report : ""));
        context.out().flush();
    }

    private Progress progress(PrintWriter err, Path input) {
        boolean show = progress != null ? progress : size(input) >= PROGRESS_BYTES;
        return show ? new ConsoleEta(err) : Progress.NONE;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** Progress lines at most every two seconds: bytes, records, rate and time left. */
    static final class ConsoleEta implements Progress {
        private final PrintWriter err;
        private final long start = System.nanoTime();
        private long last;

        ConsoleEta(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void update(long done, long total, long records) {
            long now = System.nanoTime();
            boolean end = done >= total;
            if (!end && now - last < 2_000_000_000L) {
                return;
            }
            last = now;
            double seconds = Math.max(1e-3, (now - start) / 1e9);
            long eta = done == 0 ? 0 : (long) (seconds * (total - done) / done);
            err.printf(Locale.ROOT, "%.1f/%.1f MB (%d%%), %d records, %.0f records/s, %s%n", done / 1e6, total / 1e6,
                    total == 0 ? 100 : 100 * done / total, records, records / seconds,
                    end ? String.format(Locale.ROOT, "done in %.1f s", seconds)
                            : String.format(Locale.ROOT, "ETA %d:%02d", eta / 60, eta % 60));
            err.flush();
        }
    }
}
