package org.mix4j.serve;

import static org.mix4j.serve.JsonFields.bool;
import static org.mix4j.serve.JsonFields.integer;
import static org.mix4j.serve.JsonFields.number;
import static org.mix4j.serve.JsonFields.present;
import static org.mix4j.serve.JsonFields.string;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.task.DiffusionSettings;

/**
 * {@code POST /v1/images/generations} and {@code POST /v1/images/edits} (image to image) for
 * generation pipelines: OpenAI's request ({@code model}, {@code prompt}, {@code n}, {@code size},
 * {@code response_format: b64_json}; for edits the {@code image}, as a multipart file the way
 * OpenAI's SDKs send it, or as a data URL in a JSON body) plus the documented extensions
 * {@code negative_prompt}, {@code steps}, {@code guidance}, {@code seed}, {@code strength} (edits),
 * {@code stream} (server-sent progress events, one a denoising step, then one event an image),
 * {@code loras: [{name, scale}]} and {@code controlnet: {name, image, scale}} (names in the server
 * YAML's {@code loras:} / {@code controlnets:} folders, applied to this request only).
 * Image {@code i} of a request uses seed {@code seed + i}, as {@code mix generate} does, so a
 * request with a seed gives the bytes {@code mix generate --seed} writes.
 */
final class ImageGenerations {

    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    private final ServeConfig.Limits limits;
    private final ModelAccess access;
    private final ServerMetrics metrics;
    private final SecureRandom seeds = new SecureRandom();
    private final ImageUrls images;

    ImageGenerations(ServeConfig.Limits limits, ModelAccess access, ServerMetrics metrics, ImageUrls images) {
        this.images = images;
        this.limits = limits;
        this.access = access;
        this.metrics = metrics;
    }

    /** A parsed request; {@code null} fields take the pipeline's settings. */
    record Request(String model, String prompt, RgbImage init, int n, int[] size, String negativePrompt,
            Integer steps, Double guidance, Double strength, long seed, boolean stream,
            List<ServedModel.Painter.Lora> loras, ServedModel.Painter.Control controlnet) {}

    /** {@code POST /v1/images/generations}: text to image. */
    void generations(Context ctx) throws InterruptedException {
        run(ctx, parse(JsonFields.body(ctx.body()), null), "POST /v1/images/generations");
    }

    /** {@code POST /v1/images/edits}: image to image, multipart or JSON. */
    void edits(Context ctx) throws InterruptedException {
        String type = String.valueOf(ctx.contentType()).toLowerCase(Locale.ROOT);
        JsonObject o;
        RgbImage init;
        if (type.startsWith("multipart/form-data")) {
            o = formFields(ctx);
            UploadedFile file = ctx.uploadedFile("image");
            if (file == null) {
                file = ctx.uploadedFile("image[]");
            }
            if (file == null) {
                throw ApiError.invalid("image", "missing required file 'image' (the picture to start from)");
            }
            if (ctx.uploadedFiles("image").size() + ctx.uploadedFiles("image[]").size() > 1) {
                throw ApiError.invalid("image", "give one image; several starting pictures are not supported");
            }
            byte[] bytes;
            try (InputStream in = file.content()) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw ApiError.invalid("image", "the image upload could not be read: " + e.getMessage());
            }
            init = images.read(bytes, "image");
        } else {
            o = JsonFields.body(ctx.body());
            String url = string(o, "image", true);
            init = images.decode(url, "image");
        }
        if (ctx.uploadedFile("mask") != null || present(o, "mask") != null) {
            throw ApiError.invalid("mask", "mask: inpainting is not supported; the whole picture is redrawn "
                    + "(strength says how much)");
        }
        run(ctx, parse(o, init), "POST /v1/images/edits");
    }

    private void run(Context ctx, Request r, String route) throws InterruptedException {
        try (ModelAccess.Use use = access.enter(r.model(), ctx)) {
            ServedModel.Painter painter = use.model().painter();
            if (painter == null) {
                throw ModelAccess.wrongTask(r.model(), use.model(), route);
            }
            DiffusionSettings settings = settings(painter, r);
            long created = System.currentTimeMillis() / 1000;
            if (r.stream()) {
                stream(ctx, painter, r, settings, created);
                return;
            }
            List<byte[]> pngs = painter.paint(r.prompt(), r.init(), settings, adapters(r), ProgressListener.NONE);
            metrics.painted(r.model(), pngs.size());
            JsonArray data = new JsonArray();
            for (int i = 0; i < pngs.size(); i++) {
                data.add(image(pngs.get(i), r.seed() + i));
            }
            JsonObject body = new JsonObject();
            body.addProperty("created", created);
            body.add("data", data);
            body.addProperty("output_format", "png");
            body.addProperty("size", pngSize(pngs.get(0)));
            ctx.contentType("application/json").result(body.toString());
        }
    }

    /** The request's LoRAs and ControlNet, their cache hits and misses counted by the metrics. */
    private ServedModel.Painter.Adapters adapters(Request r) {
        if (r.loras().isEmpty() && r.controlnet() == null) {
            return ServedModel.Painter.Adapters.NONE;
        }
        return new ServedModel.Painter.Adapters(r.loras(), r.controlnet(),
                (kind, hit) -> metrics.adapterUsed(r.model(), kind, hit));
    }

    /** A multipart form's text fields as JSON, the numeric ones as numbers (a malformed one is a 400 naming it). */
    private static JsonObject formFields(Context ctx) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, List<String>> e : ctx.formParamMap().entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            String key = e.getKey();
            String value = e.getValue().get(0);
            switch (key) {
                case "n", "steps", "seed", "guidance", "strength" -> {
                    try {
                        o.addProperty(key, new java.math.BigDecimal(value.trim()));
                    } catch (NumberFormatException x) {
                        throw ApiError.invalid(key, key + " must be a number, got '" + value + "'");
                    }
                }
                case "stream" -> {
                    if (!value.equals("true") && !value.equals("false")) {
                        throw ApiError.invalid(key, "stream must be true or false, got '" + value + "'");
                    }
                    o.addProperty(key, Boolean.parseBoolean(value));
                }
                default -> o.addProperty(key, value);
            }
        }
        return o;
    }

    /** {@code WxH} of a PNG, read from its header. */
    static String pngSize(byte[] png) {
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(png, 16, 8);
        return header.getInt() + "x" + header.getInt();
    }

    Request parse(JsonObject o, RgbImage init) {
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
        Double strength = number(o, "strength");
        if (strength != null && init == null) {
            throw ApiError.invalid("strength", "strength is how much of a starting picture is redrawn: it belongs to "
                    + "POST /v1/images/edits");
        }
        if (strength != null && (strength <= 0 || strength > 1)) {
            throw ApiError.invalid("strength", "strength must be in (0, 1], got " + strength);
        }
        Boolean stream = bool(o, "stream");
        return new Request(model, prompt, init, n == null ? 1 : n, size(string(o, "size", false)),
                string(o, "negative_prompt", false), steps, guidance, strength,
                seed != null ? seed.longValue() : seeds.nextLong() >>> 11, stream != null && stream,
                AdapterFields.loras(o), AdapterFields.controlnet(o, images));
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

    /**
     * The pipeline's settings with the request's over them. Without a size in either, text to image
     * draws at the pipeline's native size, and image to image and a request's ControlNet keep the
     * picture's (rounded down to a multiple of 8), as {@code mix generate} does.
     */
    static DiffusionSettings settings(ServedModel.Painter painter, Request r) {
        DiffusionSettings d = painter.defaults();
        boolean pipelineSize = d.size() != null && d.size().get(0) > 0 && d.size().get(1) > 0;
        int[] size = r.size() != null ? r.size()
                : pipelineSize ? new int[] {d.size().get(0), d.size().get(1)}
                : r.init() == null && r.controlnet() == null ? painter.nativeSize() : null;
        try {
            return new DiffusionSettings(r.guidance() != null ? r.guidance() : d.guidanceScale(),
                    r.steps() != null ? r.steps() : d.numInferenceSteps(),
                    size == null ? null : List.of(size[0], size[1]), r.seed(), r.n(),
                    r.negativePrompt() != null ? r.negativePrompt() : d.negativePrompt(),
                    r.strength() != null ? r.strength() : d.strength(), d.eta(), d.tiling(),
                    r.controlnet() != null ? r.controlnet().scale() : d.controlnetConditioningScale());
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
            pngs = painter.paint(r.prompt(), r.init(), settings, adapters(r), new Progress(sse));
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
            event.addProperty("size", pngSize(pngs.get(i)));
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
