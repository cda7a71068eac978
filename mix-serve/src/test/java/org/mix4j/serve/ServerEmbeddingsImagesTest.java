package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.images.ImageEditParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.ProgressListener;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.generation.GenerationTaskRunner;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * {@code POST /v1/embeddings} and {@code POST /v1/images/generations} on the demo server's tiny
 * CLIP and tiny Stable Diffusion: what the server answers equals what the pipelines give when
 * loaded as {@code mix index} / {@code mix generate} load them, over plain HTTP and through the
 * official OpenAI SDK; bad requests name their field.
 */
class ServerEmbeddingsImagesTest {

    private static final String CAR = "a red car";
    private static MixRuntime runtime;
    private static TinyServer tiny;
    private static OpenAIClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        tiny = new TinyServer(runtime, c -> c);
        client = tiny.openai("unused");
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    private static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }

    @Test
    void embeddingsOfTextAndImageEqualTheRetrievalPipelines() throws Exception {
        float[] text;
        float[] image;
        try (NDManager manager = NDManager.newBaseManager();
                RetrievalPipeline direct = RetrievalPipeline.load(PipelineConfig.load(
                        TinyServer.ROOT.resolve("examples/retrieval/tiny.yaml"), new ConfigOverrides()),
                        runtime.loader(), manager)) {
            text = direct.embedText(CAR);
            image = direct.embedImages(List.of(ImageDecoder.readRgb(TinyServer.IMAGE)))[0];
        }
        JsonArray input = new JsonArray();
        input.add(CAR);
        input.add(TinyServer.imageDataUrl());
        JsonObject body = new JsonObject();
        body.addProperty("model", "tiny-clip");
        body.add("input", input);
        HttpResponse<String> r = tiny.post("/v1/embeddings", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        JsonObject o = TinyServer.json(r);
        assertEquals("list", o.get("object").getAsString());
        JsonArray data = o.getAsJsonArray("data");
        assertEquals(2, data.size());
        assertEquals(1, data.get(1).getAsJsonObject().get("index").getAsInt());
        assertArrayEquals(text, floats(data.get(0).getAsJsonObject().getAsJsonArray("embedding")), 1e-6f);
        assertArrayEquals(image, floats(data.get(1).getAsJsonObject().getAsJsonArray("embedding")), 1e-6f);
        assertTrue(o.getAsJsonObject("usage").get("prompt_tokens").getAsInt() >= 3, o.toString());

        // base64: little-endian float32, the same values to the bit
        body.addProperty("encoding_format", "base64");
        JsonObject b = TinyServer.json(tiny.post("/v1/embeddings", body.toString()));
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(
                b.getAsJsonArray("data").get(0).getAsJsonObject().get("embedding").getAsString()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(decoded);
        assertArrayEquals(floats(data.get(0).getAsJsonObject().getAsJsonArray("embedding")), decoded, 0f);

        // the official SDK
        CreateEmbeddingResponse sdk = client.embeddings().create(EmbeddingCreateParams.builder().model("tiny-clip")
                .input(CAR).build());
        List<Float> values = sdk.data().get(0).embedding();
        float[] fromSdk = new float[values.size()];
        for (int i = 0; i < fromSdk.length; i++) {
            fromSdk[i] = values.get(i);
        }
        assertArrayEquals(text, fromSdk, 1e-6f);
        assertEquals(5, tiny.server.metrics().count("embeddings", "tiny-clip"), "2 + 2 + 1 inputs embedded");
    }

    /** What {@code mix generate examples/generation/tiny-sd.yaml --steps 2 --seed S --num-images N} writes. */
    private List<byte[]> generated(String prompt, long seed, int n) throws IOException {
        PipelineConfig config = PipelineConfig.load(TinyServer.ROOT.resolve("examples/generation/tiny-sd.yaml"),
                new ConfigOverrides().set("num_inference_steps", 2, "--steps").set("seed", seed, "--seed")
                        .set("num_images_per_prompt", n, "--num-images"));
        Path out = dir.resolve("out-" + seed + ".png");
        List<Path> files = GenerationTaskRunner.run(config, new GenerationTaskRunner.Inputs(prompt, null, null, out),
                runtime.loader(), ProgressListener.NONE);
        List<byte[]> bytes = new ArrayList<>();
        for (Path f : files) {
            bytes.add(Files.readAllBytes(f));
        }
        return bytes;
    }

    private byte[] generated(String prompt, long seed) throws IOException {
        return generated(prompt, seed, 1).get(0);
    }

    private static String imageRequest(String prompt, long seed, int n, boolean stream) {
        JsonObject body = new JsonObject();
        body.addProperty("model", "tiny-sd");
        body.addProperty("prompt", prompt);
        body.addProperty("steps", 2);
        body.addProperty("seed", seed);
        body.addProperty("n", n);
        body.addProperty("response_format", "b64_json");
        if (stream) {
            body.addProperty("stream", true);
        }
        return body.toString();
    }

    @Test
    void generatedImagesAreTheBytesMixGenerateWrites() throws Exception {
        long before = tiny.server.metrics().count("images", "tiny-sd");
        HttpResponse<String> r = tiny.post("/v1/images/generations", imageRequest("a big red sun", 7, 2, false));
        assertEquals(200, r.statusCode(), r.body());
        JsonArray data = TinyServer.json(r).getAsJsonArray("data");
        assertEquals(2, data.size());
        List<byte[]> cli = generated("a big red sun", 7, 2); // one batch of two, as the request
        for (int i = 0; i < 2; i++) {
            JsonObject item = data.get(i).getAsJsonObject();
            assertEquals(7 + i, item.get("seed").getAsLong(), "image i uses seed + i");
            assertArrayEquals(cli.get(i), Base64.getDecoder().decode(item.get("b64_json").getAsString()));
        }
        assertEquals(before + 2, tiny.server.metrics().count("images", "tiny-sd"));
    }

    @Test
    void streamedGenerationSendsAProgressEventAStepThenTheImage() throws Exception {
        HttpResponse<String> r = tiny.post("/v1/images/generations", imageRequest("a small blue moon", 3, 1, true));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonObject> events = new ArrayList<>();
        List<String> lines = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertEquals("[DONE]", lines.get(lines.size() - 1));
        lines.subList(0, lines.size() - 1).forEach(l -> events.add(JsonParser.parseString(l).getAsJsonObject()));
        List<Long> steps = events.stream().filter(e -> e.get("type").getAsString().equals("image_generation.progress")
                && e.get("total").getAsLong() == 2).map(e -> e.get("step").getAsLong()).distinct().toList();
        assertEquals(List.of(0L, 1L, 2L), steps, "the start and each of the 2 steps");
        JsonObject done = events.get(events.size() - 1);
        assertEquals("image_generation.completed", done.get("type").getAsString());
        assertArrayEquals(generated("a small blue moon", 3), Base64.getDecoder().decode(done.get("b64_json").getAsString()));
    }

    @Test
    void theOfficialSdkGeneratesWithTheDocumentedExtensions() throws Exception {
        ImagesResponse images = client.images().generate(ImageGenerateParams.builder().model("tiny-sd")
                .prompt("a green tree").responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
                .putAdditionalBodyProperty("steps", JsonValue.from(2)).putAdditionalBodyProperty("seed", JsonValue.from(11))
                .build());
        byte[] png = Base64.getDecoder().decode(images.data().orElseThrow().get(0).b64Json().orElseThrow());
        assertArrayEquals(generated("a green tree", 11), png);
    }

    /** What {@code mix generate tiny-sd.yaml --init-image IMAGE --strength S --steps 4 --seed SEED} writes. */
    private byte[] edited(String prompt, long seed, double strength) throws IOException {
        PipelineConfig config = PipelineConfig.load(TinyServer.ROOT.resolve("examples/generation/tiny-sd.yaml"),
                new ConfigOverrides().set("num_inference_steps", 4, "--steps").set("seed", seed, "--seed")
                        .set("strength", strength, "--strength"));
        Path out = dir.resolve("edit-" + seed + ".png");
        List<Path> files = GenerationTaskRunner.run(config, new GenerationTaskRunner.Inputs(prompt, TinyServer.IMAGE,
                null, out), runtime.loader(), ProgressListener.NONE);
        return Files.readAllBytes(files.get(0));
    }

    @Test
    void imageEditsThroughTheSdksMultipartEqualMixGenerateFromAnInitImage() throws Exception {
        ImagesResponse edit = client.images().edit(ImageEditParams.builder().model("tiny-sd").image(TinyServer.IMAGE)
                .prompt("a big red sun").responseFormat(ImageEditParams.ResponseFormat.B64_JSON)
                .putAdditionalBodyProperty("steps", JsonValue.from(4)).putAdditionalBodyProperty("seed", JsonValue.from(9))
                .putAdditionalBodyProperty("strength", JsonValue.from(0.5)).build());
        byte[] png = Base64.getDecoder().decode(edit.data().orElseThrow().get(0).b64Json().orElseThrow());
        assertArrayEquals(edited("a big red sun", 9, 0.5), png);
        assertTrue(new String(png, java.nio.charset.StandardCharsets.ISO_8859_1).contains("Denoising strength: 0.5"),
                "the PNG's parameters say it is image to image");

        // the same as JSON with the picture as a data URL
        JsonObject body = new JsonObject();
        body.addProperty("model", "tiny-sd");
        body.addProperty("prompt", "a big red sun");
        body.addProperty("image", TinyServer.imageDataUrl());
        body.addProperty("steps", 4);
        body.addProperty("seed", 9);
        body.addProperty("strength", 0.5);
        HttpResponse<String> r = tiny.post("/v1/images/edits", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        assertArrayEquals(png, Base64.getDecoder().decode(TinyServer.json(r).getAsJsonArray("data").get(0)
                .getAsJsonObject().get("b64_json").getAsString()));

        body.addProperty("image", "data:image/png;base64,iVBORw0KGgo=");
        assertEquals("image", error(tiny.post("/v1/images/edits", body.toString()), 400).get("param").getAsString());
        body.addProperty("image", TinyServer.imageDataUrl());
        body.addProperty("strength", 1.5);
        assertEquals("strength", error(tiny.post("/v1/images/edits", body.toString()), 400).get("param").getAsString());
        body.remove("image");
        body.remove("strength");
        assertEquals("image", error(tiny.post("/v1/images/edits", body.toString()), 400).get("param").getAsString());
    }

    private static JsonObject error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        return TinyServer.json(r).getAsJsonObject("error");
    }

    @Test
    void badRequestsNameTheirField() throws Exception {
        assertEquals("size", error(tiny.post("/v1/images/generations",
                "{\"model\": \"tiny-sd\", \"prompt\": \"x\", \"size\": \"33x33\"}"), 400).get("param").getAsString());
        assertEquals("response_format", error(tiny.post("/v1/images/generations",
                "{\"model\": \"tiny-sd\", \"prompt\": \"x\", \"response_format\": \"url\"}"), 400).get("param").getAsString());
        assertEquals("strength", error(tiny.post("/v1/images/generations",
                "{\"model\": \"tiny-sd\", \"prompt\": \"x\", \"strength\": 0.5}"), 400).get("param").getAsString());
        assertEquals("loras[0].name", error(tiny.post("/v1/images/generations",
                "{\"model\": \"tiny-sd\", \"prompt\": \"x\", \"loras\": [{\"name\": \"a\"}]}"), 400).get("param").getAsString());
        assertEquals("n", error(tiny.post("/v1/images/generations",
                "{\"model\": \"tiny-sd\", \"prompt\": \"x\", \"n\": 5}"), 400).get("param").getAsString());
        assertEquals("prompt", error(tiny.post("/v1/images/generations", "{\"model\": \"tiny-sd\"}"), 400)
                .get("param").getAsString());
        assertEquals("input[1]", error(tiny.post("/v1/embeddings",
                "{\"model\": \"tiny-clip\", \"input\": [\"a\", [1, 2]]}"), 400).get("param").getAsString());
        assertEquals("input", error(tiny.post("/v1/embeddings",
                "{\"model\": \"tiny-clip\", \"input\": \"data:image/png;base64,AAAA\"}"), 400).get("param").getAsString());
        assertEquals("dimensions", error(tiny.post("/v1/embeddings",
                "{\"model\": \"tiny-clip\", \"input\": \"a\", \"dimensions\": 3}"), 400).get("param").getAsString());
        // a model asked for what it does not do says what it does
        JsonObject wrong = error(tiny.post("/v1/embeddings", "{\"model\": \"tiny-llama\", \"input\": \"a\"}"), 400);
        assertEquals("model", wrong.get("param").getAsString());
        assertTrue(wrong.get("message").getAsString().contains("POST /v1/chat/completions"), wrong.toString());
        JsonObject chat = error(tiny.post("/v1/chat/completions", TinyServer.chat("tiny-sd", "hi", 4)), 400);
        assertTrue(chat.get("message").getAsString().contains("POST /v1/images/generations"), chat.toString());
        assertEquals(404, tiny.post("/v1/images/generations", "{\"model\": \"nope\", \"prompt\": \"x\"}").statusCode());
    }
}
