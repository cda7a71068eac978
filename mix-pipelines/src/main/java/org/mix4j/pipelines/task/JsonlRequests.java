package org.mix4j.pipelines.task;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;

/**
 * {@code mix run --input requests.jsonl}: one request per line, one answer line out per request,
 * written as soon as it is decoded. A line that cannot be answered gives an error record naming
 * its line number, and the job goes on with the next line.
 */
public final class JsonlRequests {

    static final Set<String> KEYS = Set.of("prompt", "images", "max_new_tokens", "temperature", "top_p", "top_k", "seed");

    /** Answers one request with the pipeline already loaded. */
    @FunctionalInterface
    public interface Answerer {
        DecodeResult answer(String prompt, List<RgbImage> images, DecodingSettings settings);
    }

    private JsonlRequests() {}

    /**
     * Reads {@code input} line by line (blank lines skipped); images are relative to its folder.
     *
     * @return 0, or 1 when some line gave an error record
     */
    public static int run(Path input, DecodingSettings base, Answerer answerer, PrintWriter out) throws IOException {
        boolean failed = false;
        try (BufferedReader reader = Files.newBufferedReader(input)) {
            int n = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonObject record = new JsonObject();
                record.addProperty("line", n);
                try {
                    JsonObject request = JsonParser.parseString(line).getAsJsonObject();
                    DecodeResult r = answerer.answer(prompt(request), images(request, input), settings(request, base));
                    record.addProperty("answer", r.texts().get(0));
                    record.addProperty("finish_reason", r.finishReasons().get(0).name().toLowerCase(Locale.ROOT));
                    record.addProperty("tokens", r.tokens().get(0).length);
                } catch (RuntimeException e) {
                    failed = true;
                    record.addProperty("error", input + ":" + n + ": " + message(e));
                }
                out.println(record);
                out.flush();
            }
        }
        return failed ? 1 : 0;
    }

    private static String prompt(JsonObject request) {
        for (String key : request.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "'; valid: " + new java.util.TreeSet<>(KEYS));
            }
        }
        JsonElement p = request.get("prompt");
        if (p == null || !p.isJsonPrimitive()) {
            throw new IllegalArgumentException("needs \"prompt\": a string");
        }
        return p.getAsString();
    }

    private static List<RgbImage> images(JsonObject request, Path input) {
        List<RgbImage> images = new ArrayList<>();
        if (request.has("images")) {
            Path folder = input.toAbsolutePath().getParent();
            for (JsonElement e : request.getAsJsonArray("images")) {
                images.add(ImageDecoder.readRgb(folder.resolve(e.getAsString())));
            }
        }
        return images;
    }

    /** The pipeline's settings with the request's own values in place. */
    static DecodingSettings settings(JsonObject q, DecodingSettings s) {
        double temperature = q.has("temperature") ? q.get("temperature").getAsDouble() : s.temperature();
        return new DecodingSettings(
                q.has("max_new_tokens") ? q.get("max_new_tokens").getAsInt() : s.maxNewTokens(),
                temperature,
                q.has("top_k") ? q.get("top_k").getAsInt() : s.topK(),
                q.has("top_p") ? q.get("top_p").getAsDouble() : s.topP(),
                s.repetitionPenalty(),
                q.has("seed") ? q.get("seed").getAsLong() : s.seed(),
                s.eosTokenId(), s.stop(),
                // as on the command line: a temperature means sampling (or greedy at 0)
                q.has("temperature") ? Boolean.valueOf(temperature > 0) : s.doSample());
    }

    private static String message(RuntimeException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
