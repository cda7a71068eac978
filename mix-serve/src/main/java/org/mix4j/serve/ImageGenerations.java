package org.mix4j.serve;

import static org.mix4j.serve.JsonFields.bool;
import static org.mix4j.serve.JsonFields.integer;
import static org.mix4j.serve.JsonFields.number;
import static org.mix4j.serve.JsonFields.present;
import static org.mix4j.serve.JsonFields.string;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.javalin.http.Context;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mix4j.api.ProgressListener;
import org.mix4j.pipelines.task.DiffusionSettings;

/**
 * {@code POST /v1/images/generations} for generation pipelines: OpenAI's request ({@code model},
 * {@code prompt}, {@code n}, {@code size}, {@code response_format: b64_json}) plus the documented
 * extensions {@code negative_prompt}, {@code steps}, {@code guidance}, {@code seed} and
 * {@code stream} (server-sent progress events, one a denoising step, then one event an image).
 * Image {@code i} of a request uses seed {@code seed + i}, as {@code mix generate} does, so a
 * request with a seed gives the bytes {@code mix generate --seed} writes.
 */
final class ImageGenerations {

    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    private final ServeConfig.Limits limits;
    private final ModelAccess access;
    private final ServerMetrics metrics;
    private final SecureRandom seeds = new SecureRandom();

    ImageGenerations(ServeConfig.Limits limits, ModelAccess access, ServerMetrics metrics) {
        this.limits = limits;
        this.access = access;
        this.metrics = metrics;
    }

    /** A parsed request; {@code null} fields take the pipeline's settings. */
    record Request(String model, String prompt, int n, int[] size, String negativePrompt, Integer steps,
            Double guidance, long seed, boolean stream) {}

    void handle(Context ctx) throws InterruptedException {
        Request r = parse(JsonFields.body(ctx.body()));
        try (ModelAccess.Use use = access.enter(r.model(), ctx)) {
            ServedModel.Painter painter = use.model().painter();
            if (painter == null) {
                throw ModelAccess.wrongTask(r.model(), use.model(), "POST /v1/images/generations");
            }
            DiffusionSettings settings = settings(painter, r);
            long created = System.currentTimeMillis() / 1000;
            if (r.stream()) {
                stream(ctx, painter, r, settings, created);
                return;
            }
            List<byte[]> pngs = painter.paint(r.prompt(), settings, ProgressListener.NONE);
            metrics.painted(r.model(), pngs.size());
            JsonArray data = new JsonArray();
            for (int i = 0; i < pngs.size(); i++) {
                data.add(image(pngs.get(i), r.seed() + i));
            }
            JsonObject body = new JsonObject();
            body.addProperty("created", created);
            body.add("data", data);
            body.addProperty("output_format", "png");
            body.addProperty("size", settings.size().get(0) + "x" + settings.size().get(1));
            ctx.contentType("application/json").result(body.toString());
        }
    }

    Request parse(JsonObject o) {
        String model = string(o, "model", true);
        String prompt = string(o, "prompt", true);
        if (prompt.isBlank()) {
            throw ApiError.invalid("prompt", "prompt is empty");
        }
        if (prompt.length() > limits.maxPromptChars()) {
            throw ApiError.invalid("prompt", "prompt holds " + prompt.length() + " characters; this server accepts at "
                    + "most " + limits.maxPromptChars());
        }
        String format = string(o, "response_format", false);
        if (format != null && !format.equals("b64_json")) {
            throw ApiError.invalid("response_format", "response_format must be b64_json: this server keeps no image "
                    + "files to link to, got '" + format + "'");
        }
        String outputFormat = string(o, "output_format", false);
        if (outputFormat != null && !outputFormat.equals("png")) {
            throw ApiError.invalid("output_format", "output_format must be png, got '" + outputFormat + "'");
        }
        for (String unsupported : List.of("loras", "controlnet")) {
            if (present(o, unsupported) != null) {
                throw ApiError.invalid(unsupported, unsupported + ": per-request LoRA and ControlNet are not supported "
                        + "by this server yet; name them in the model's pipeline YAML instead");
            }
        }
        Integer n = integer(o, "n");
        if (n != null && (n < 1 || n > limits.maxImages())) {
            throw ApiError.invalid("n", "n must be between 1 and " + limits.maxImages() + " (max_images), got " + n);
        }
        Integer steps = integer(o, "steps");
        if (steps != null && (steps < 1 || steps > limits.maxSteps())) {
            throw ApiError.invalid("steps", "steps must be between 1 and " + limits.maxSteps() + " (max_steps), got "
                    + steps);
        }
        Double guidance = number(o, "guidance");
        if (guidance != null && (guidance < 0 || guidance > 100)) {
            throw ApiError.invalid("guidance", "guidance must be between 0 and 100, got " + guidance);
        }
        Double seed = number(o, "seed");
        if (seed != null && (seed != Math.rint(seed) || seed < 0 || seed > 9.007199254740991E15)) {
            throw ApiError.invalid("seed", "seed must be a whole number from 0 to 2^53-1, got " + seed);
        }
        Boolean stream = bool(o, "stream");
        return new Request(model, prompt, n == null ? 1 : n, size(string(o, "size", false)),
                string(o, "negative_prompt", false), steps, guidance,
                seed != null ? seed.longValue() : seeds.nextLong() >>> 11, stream != null && stream);
    }

    /** {@code WxH}, each side a multiple of 8 up to {@code max_image_side}; {@code null} or {@code auto}: the pipeline's. */
    private int[] size(String size) {
        if (size == null || size.equals("auto")) {
            return null;
        }
        Matcher m = SIZE.matcher(size);
        if (!m.matches()) {
            throw ApiError.invalid("size", "size must be WIDTHxHEIGHT (such as 512x512) or auto, got '" + size + "'");
        }
        int width = Integer.parseInt(m.group(1));
        int height = Integer.parseInt(m.group(2));
        if (width < 8 || height < 8 || width % 8 != 0 || height % 8 != 0 || width > limits.maxImageSide()
                || height > limits.maxImageSide()) {
            throw ApiError.invalid("size", "size " + size + ": each side must be a multiple of 8 from 8 to "
                    + limits.maxImageSide() + " (max_image_side)");
        }
        return new int[] {width, height};
    }

    /** The pipeline's settings with the request's over them, the size always set. */
    static DiffusionSettings settings(ServedModel.Painter painter, Request r) {
        DiffusionSettings d = painter.defaults();
        int[] size = r.size() != null ? r.size()
                : d.size() != null && d.size().get(0) > 0 && d.size().get(1) > 0
                        ? new int[] {d.size().get(0), d.size().get(1)} : painter.nativeSize();
        try {
            return new DiffusionSettings(r.guidance() != null ? r.guidance() : d.guidanceScale(),
                    r.steps() != null ? r.steps() : d.numInferenceSteps(), List.of(size[0], size[1]), r.seed(), r.n(),
                    r.negativePrompt() != null ? r.negativePrompt() : d.negativePrompt(), d.strength(), d.eta(),
                    d.tiling(), d.controlnetConditioningScale());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(null, e.getMessage());
        }
    }

    private void stream(Context ctx, ServedModel.Painter painter, Request r, DiffusionSettings settings, long created) {
        Sse sse = Sse.open(ctx);
        if (sse == null) {
            return;
        }
        List<byte[]> pngs;
        try {
            pngs = painter.paint(r.prompt(), settings, new Progress(sse));
        } catch (CancellationException e) {
            return; // the client left; its work stopped at the step it left in
        } catch (RuntimeException e) {
            if (!sse.started()) {
                throw e;
            }
            sse.send(ServerErrors.of(e).body());
            sse.done();
            return;
        }
        metrics.painted(r.model(), pngs.size());
        for (int i = 0; i < pngs.size(); i++) {
            JsonObject event = new JsonObject();
            event.addProperty("type", "image_generation.completed");
            event.addProperty("index", i);
            image(pngs.get(i), r.seed() + i).entrySet().forEach(e -> event.add(e.getKey(), e.getValue()));
            event.addProperty("created_at", created);
            event.addProperty("output_format", "png");
            event.addProperty("size", settings.size().get(0) + "x" + settings.size().get(1));
            sse.send(event);
        }
        sse.done();
    }

    private static JsonObject image(byte[] png, long seed) {
        JsonObject item = new JsonObject();
        item.addProperty("b64_json", Base64.getEncoder().encodeToString(png));
        item.addProperty("seed", seed);
        return item;
    }

    /** Progress events of a streamed request; a client that left stops the run at its next step. */
    private static final class Progress implements ProgressListener {
        private final Sse sse;
        private String task = "";
        private long total;
        private long done;

        Progress(Sse sse) {
            this.sse = sse;
        }

        @Override
        public void start(String name, long steps) {
            task = name;
            total = steps;
            done = 0;
            send();
        }

        @Override
        public void advance(long steps) {
            done += steps;
            send();
        }

        @Override
        public void finish() {}

        private void send() {
            JsonObject event = new JsonObject();
            event.addProperty("type", "image_generation.progress");
            event.addProperty("task", task);
            event.addProperty("step", done);
            event.addProperty("total", total);
            sse.send(event);
            if (sse.gone()) {
                throw new CancellationException("the client closed the connection");
            }
        }
    }
}
