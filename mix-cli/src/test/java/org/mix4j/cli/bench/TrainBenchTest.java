package org.mix4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.cli.Mix;

/** {@code mix bench train} at the tiny shape: both modes step, report their rows and train what they should. */
class TrainBenchTest {

    @TempDir
    Path dir;

    @Test
    void bothStagesReportStepTimeThroughputAndWhatTrains() throws IOException {
        Path json = dir.resolve("train.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(new String[] {"--plugins-dir", dir.resolve("none").toString(), "bench", "train", "--shape",
            "tiny", "--layers", "1", "--batch", "2", "--tokens", "40", "--steps", "2", "--warmup", "1", "--json",
            json.toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().lines().anyMatch(l -> l.startsWith("train     stage2 tiny L1 2x40")), out.toString());

        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonObject section = report.getAsJsonObject("sections").getAsJsonObject("train");
        assertTrue(!section.has("error"), section.toString());
        // stage 1: the projector, 64 -> 96 -> 96 with biases
        long projector = 64 * 96 + 96 + 96 * 96 + 96;
        assertEquals(projector, section.get("stage1_trainable_values").getAsLong());
        // stage 2 adds r=16 LoRA on q/o (96 -> 96) and k/v (96 -> 2 KV heads x 24 = 48) of the one layer
        long lora = 2 * (16 * 96 + 96 * 16) + 2 * (16 * 96 + 48 * 16);
        assertEquals(projector + lora, section.get("stage2_trainable_values").getAsLong());

        List<JsonObject> rows = StreamSupport.stream(report.getAsJsonArray("results").spliterator(), false)
                .map(JsonElement::getAsJsonObject).filter(r -> r.get("section").getAsString().equals("train")).toList();
        for (String mode : List.of("stage1", "stage2")) {
            JsonObject step = row(rows, mode, "step (fwd+bwd+clip+AdamW)");
            assertEquals(2, step.get("runs").getAsInt());
            assertTrue(step.get("median").getAsDouble() > 0, step.toString());
            assertEquals(80, step.getAsJsonObject("details").get("tokens_per_step").getAsLong());
            double loss = step.getAsJsonObject("details").get("loss_last").getAsDouble();
            assertTrue(Math.abs(loss - Math.log(512)) < 1, "a random model's loss is near ln(vocab): " + loss);
            JsonObject rate = row(rows, mode, "throughput");
            // tokens/s is the tokens of a step over its time, run by run: the fastest step gives the most
            assertEquals(80 / step.get("min").getAsDouble(), rate.get("max").getAsDouble(),
                    1e-6 * rate.get("max").getAsDouble());
            double parts = row(rows, mode, "forward (loss)").get("median").getAsDouble()
                    + row(rows, mode, "backward").get("median").getAsDouble();
            assertTrue(parts > 0 && parts <= step.get("max").getAsDouble() * 1.01, parts + " vs " + step);
        }
    }

    private static JsonObject row(List<JsonObject> rows, String mode, String metric) {
        return rows.stream().filter(r -> r.get("subject").getAsString().startsWith(mode + " ")
                && r.get("metric").getAsString().equals(metric)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + mode + " / " + metric + " in " + rows));
    }
}
