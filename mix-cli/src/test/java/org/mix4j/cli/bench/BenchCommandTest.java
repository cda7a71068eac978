package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.cli.Mix;

/** {@code mix bench}: section list, one section end to end with its table and JSON report. */
class BenchCommandTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {}

    private Result mix(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--plugins-dir";
        all[1] = dir.resolve("no-plugins").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = Mix.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void listsTheSectionsInTheOrderTheyRun() {
        Result r = mix("bench", "--list");
        assertEquals(0, r.code(), r.err());
        int machine = r.out().indexOf("  machine ");
        int weights = r.out().indexOf("  weights ");
        assertTrue(machine > 0 && weights > machine, r.out());
    }

    @Test
    void aSectionPrintsItsRowsAndWritesTheReport() throws IOException {
        Path json = dir.resolve("out/bench.json");
        Result r = mix("bench", "weights", "--tensors", "2", "--size", "64", "--quick", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("mix bench: "), r.out());
        assertTrue(r.out().contains(BenchTable.header()), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("weights   F16 file -> float32") && l.contains(" ms")),
                r.out());
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertTrue(report.get("quick").getAsBoolean());
        assertTrue(report.getAsJsonArray("load_average_start").size() >= 1);
        JsonObject section = report.getAsJsonObject("sections").getAsJsonObject("weights");
        assertTrue(section.get("f16_file_bytes").getAsLong() > 2 * 64 * 64 * 2, section.toString());
        assertTrue(section.has("load_average_before") && section.has("seconds"), section.toString());
        JsonArray rows = report.getAsJsonArray("results");
        JsonObject first = rows.get(0).getAsJsonObject();
        assertEquals("weights", first.get("section").getAsString());
        assertEquals(2, first.get("runs").getAsInt()); // --quick: two timed runs
        assertTrue(first.get("min").getAsDouble() <= first.get("median").getAsDouble());
    }

    @Test
    void aFailingSectionIsReportedAndTheReportStillWritten() throws IOException {
        Path json = dir.resolve("failed.json");
        Result r = mix("bench", "weights", "--tensors", "0", "--json", json.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bench weights failed: --tensors and --size must be positive"), r.err());
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertTrue(report.getAsJsonObject("sections").getAsJsonObject("weights").get("error").getAsString()
                .contains("--tensors"));
    }
}
