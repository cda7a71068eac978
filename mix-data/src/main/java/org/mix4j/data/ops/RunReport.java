package org.mix4j.data.ops;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.mix4j.data.filter.SampleFilter;
import org.mix4j.data.records.BadRecords;

/**
 * The report of a {@code mix data} run, as JSON: the command, inputs and outputs with their record
 * counts, the bad records (count and the first ones by {@code file:line}), and per rule what it
 * removed or rewrote with a few example ids.
 */
public final class RunReport {

    private final JsonObject json = new JsonObject();

    public RunReport(String command) {
        json.addProperty("command", command);
        json.add("inputs", new JsonObject());
        json.add("outputs", new JsonObject());
    }

    public RunReport input(Path file, long records) {
        json.getAsJsonObject("inputs").addProperty(file.toString(), records);
        return this;
    }

    public RunReport output(Path file, long records) {
        json.getAsJsonObject("outputs").addProperty(file.toString(), records);
        return this;
    }

    public RunReport bad(BadRecords bad) {
        return bad(bad.count(), bad.listed());
    }

    /** The bad records: how many, and the first ones ({@code file:line: why}). */
    public RunReport bad(long count, List<String> first) {
        JsonObject b = new JsonObject();
        b.addProperty("count", count);
        JsonArray listed = new JsonArray();
        first.forEach(listed::add);
        b.add("first", listed);
        json.add("bad_records", b);
        return this;
    }

    public RunReport rules(List<SampleFilter.Count> counts) {
        JsonObject rules = new JsonObject();
        for (SampleFilter.Count c : counts) {
            JsonObject r = new JsonObject();
            r.addProperty("removed", c.removed());
            r.addProperty("changed", c.changed());
            JsonArray examples = new JsonArray();
            c.examples().forEach(examples::add);
            r.add("examples", examples);
            rules.add(c.rule(), r);
        }
        json.add("rules", rules);
        return this;
    }

    public RunReport put(String key, JsonElement value) {
        json.add(key, value);
        return this;
    }

    public RunReport put(String key, String value) {
        json.addProperty(key, value);
        return this;
    }

    public RunReport put(String key, Number value) {
        json.addProperty(key, value);
        return this;
    }

    public JsonObject json() {
        return json.deepCopy();
    }

    /** Total records written over every output. */
    public long written() {
        return json.getAsJsonObject("outputs").entrySet().stream().mapToLong(e -> e.getValue().getAsLong()).sum();
    }

    public Map<String, JsonElement> outputs() {
        return json.getAsJsonObject("outputs").asMap();
    }

    public String toJson() {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json) + "\n";
    }

    /** Writes the report to {@code file} (through a temporary file, like the outputs). */
    public void write(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            Files.writeString(temp, toJson(), StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the report: " + e.getMessage(), e);
        }
    }
}
