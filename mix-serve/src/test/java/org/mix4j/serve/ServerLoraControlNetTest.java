package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.ProgressListener;
import org.mix4j.api.RgbImage;
import org.mix4j.config.ConfigOverrides;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.generation.GenerationTaskRunner;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.SafeTensorsWriter;
import org.mix4j.weights.TensorInfo;

/**
 * Per-request {@code loras} and {@code controlnet} on the demo server's tiny Stable Diffusion: a
 * request's LoRA (run unmerged) gives the image of the pipeline with that LoRA merged in its YAML,
 * within one pixel level; it leaves no trace on later requests, and concurrent requests with
 * different LoRAs each get their sequential result; a request's ControlNet gives the image of the
 * pipeline with that ControlNet in its YAML; bad names and fields are 400s naming the field.
 */
class ServerLoraControlNetTest {

    private static final Path SD = TinyServer.ROOT.resolve("testdata/golden/sd_pipeline");
    private static final Path CONTROLNET = TinyServer.ROOT.resolve("testdata/golden/controlnet_pipeline/controlnet");
    private static final Path CONTROL_IMAGE = TinyServer.ROOT.resolve("testdata/golden/controlnet_pipeline/control_image.png");

    @TempDir
    static Path dir;
    private static MixRuntime runtime;
    private static TinyServer tiny;

    @BeforeAll
    static void start() throws IOException {
        Path loras = Files.createDirectories(dir.resolve("loras"));
        writeLora(loras.resolve("ink.safetensors"), 1);
        writeLora(loras.resolve("chalk.safetensors"), 2);
        Files.writeString(dir.resolve("secret.safetensors"), "outside the folder");
        Path controlnets = Files.createDirectories(dir.resolve("controlnets"));
        Files.createSymbolicLink(controlnets.resolve("edges"), CONTROLNET);
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        tiny = new TinyServer(runtime, c -> c.withAdapterFolders(loras, controlnets));
    }

    @AfterAll
    static void stop() {
        tiny.close();
        runtime.close();
    }

    /**
     * A kohya-ss LoRA of rank 2, alpha 1, for every attention projection, feed-forward and 1x1
     * {@code proj_in}/{@code proj_out} of the tiny UNet, random but seeded, large enough to change
     * the picture.
     */
    static void writeLora(Path file, long seed) throws IOException {
        Random random = new Random(seed);
        SafeTensorsWriter writer = new SafeTensorsWriter();
        try (NDManager manager = NDManager.newBaseManager();
                Checkpoint unet = Checkpoint.open(SD.resolve("unet"))) {
            for (TensorInfo t : unet.tensors().values()) {
                String name = t.name();
                if (!name.endsWith(".weight") || !name.contains("attentions") || t.shape().dimension() < 2
                        || name.contains("norm")) {
                    continue;
                }
                String module = "lora_unet_" + name.substring(0, name.length() - ".weight".length()).replace('.', '_');
                long out = t.shape().get(0);
                long in = t.shape().get(1);
                boolean kernel = t.shape().dimension() == 4;
                writer.put(module + ".lora_down.weight", randn(manager, random, kernel ? new Shape(2, in, 1, 1)
                        : new Shape(2, in), 1 / Math.sqrt(in)));
                writer.put(module + ".lora_up.weight", randn(manager, random, kernel ? new Shape(out, 2, 1, 1)
                        : new Shape(out, 2), 1.0));
                writer.put(module + ".alpha", manager.create(1f));
            }
            writer.write(file);
        }
    }

    private static ai.djl.ndarray.NDArray randn(NDManager manager, Random random, Shape shape, double std) {
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return manager.create(v, shape);
    }

    private static JsonObject request(long seed) {
        JsonObject body = new JsonObject();
        body.addProperty("model", "tiny-sd");
        body.addProperty("prompt", "a lighthouse at dusk");
        body.addProperty("steps", 2);
        body.addProperty("seed", seed);
        return body;
    }

    private static JsonObject withLora(JsonObject body, String name, double scale) {
        JsonObject lora = new JsonObject();
        lora.addProperty("name", name);
        lora.addProperty("scale", scale);
        JsonArray loras = new JsonArray();
        loras.add(lora);
        body.add("loras", loras);
        return body;
    }

    private static byte[] png(JsonObject body) throws Exception {
        HttpResponse<String> r = tiny.post("/v1/images/generations", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        return Base64.getDecoder().decode(TinyServer.json(r).getAsJsonArray("data").get(0).getAsJsonObject()
                .get("b64_json").getAsString());
    }

    private static RgbImage pixels(byte[] png) {
        return new ImageDecoder().read(png, "png");
    }

    private static int maxPixelDiff(RgbImage a, RgbImage b) {
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        int max = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            max = Math.max(max, Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff)));
        }
        return max;
    }

    /** What {@code mix generate} writes for tiny-sd.yaml with {@code sections} added (2 steps, seed 5). */
    private static RgbImage generated(String name, String sections, Path controlImage) throws IOException {
        String yaml = Files.readString(TinyServer.ROOT.resolve("examples/generation/tiny-sd.yaml"))
                .replace("checkpoint: ../../testdata/golden/sd_pipeline", "checkpoint: " + SD)
                .replace("path: ../../../examples/generation/tiny-clip-tokenizer",
                        "path: " + TinyServer.ROOT.resolve("examples/generation/tiny-clip-tokenizer"))
                .replace("denoiser:     { type: unet2d_condition, weights: unet }", sections);
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, yaml);
        PipelineConfig config = PipelineConfig.load(file, new ConfigOverrides().set("num_inference_steps", 2, "--steps")
                .set("seed", 5, "--seed"));
        List<Path> out = GenerationTaskRunner.run(config, new GenerationTaskRunner.Inputs("a lighthouse at dusk", null,
                controlImage, dir.resolve(name + ".png")), runtime.loader(), ProgressListener.NONE);
        return pixels(Files.readAllBytes(out.get(0)));
    }

    @Test
    void aRequestsLoraGivesTheMergedPipelinesImageAndLeavesNoTrace() throws Exception {
        byte[] base = png(request(5));
        byte[] ink = png(withLora(request(5), "ink", 0.8));
        byte[] after = png(request(5));
        assertArrayEquals(base, after, "a request without LoRA after one with a LoRA: the base image, bit for bit");
        assertTrue(maxPixelDiff(pixels(base), pixels(ink)) > 8, "the LoRA changes the picture");

        // merged at load (W + 0.8 * alpha/rank * up @ down) vs unmerged per call: float rounding only
        RgbImage merged = generated("merged", "denoiser: { type: unet2d_condition, weights: unet, lora: [{ file: "
                + dir.resolve("loras/ink.safetensors") + ", scale: 0.8 }] }", null);
        int diff = maxPixelDiff(merged, pixels(ink));
        assertTrue(new String(ink, java.nio.charset.StandardCharsets.ISO_8859_1).contains("Lora: ink.safetensors:0.8"),
                "the PNG's parameters name the request's LoRA as mix generate names a YAML one");
        assertTrue(diff <= 1, "merged vs per-request LoRA differ by " + diff + " levels");

        assertEquals(1, tiny.server.metrics().adapterCount(false, "tiny-sd", "lora"), "loaded once");
        try (ModelCache.Lease sd = tiny.server.cache().acquire("tiny-sd")) {
            assertTrue(sd.model().adapterBytes() > 0, "the cached LoRA's factors");
            assertEquals(sd.model().bytes() + sd.model().adapterBytes(), tiny.server.cache().residentBytes(),
                    "count in the memory budget");
        }
        png(withLora(request(5), "ink", 0.3));
        assertTrue(tiny.server.metrics().adapterCount(true, "tiny-sd", "lora") >= 1, "then found in the cache");
    }

    @Test
    void aStreamedRequestAndAnEditApplyTheLoraToo() throws Exception {
        JsonObject body = withLora(request(9), "chalk", 0.6);
        byte[] plain = png(body);
        body.addProperty("stream", true);
        HttpResponse<String> r = tiny.post("/v1/images/generations", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        List<String> lines = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        JsonObject done = com.google.gson.JsonParser.parseString(lines.get(lines.size() - 2)).getAsJsonObject();
        assertEquals("image_generation.completed", done.get("type").getAsString());
        assertArrayEquals(plain, Base64.getDecoder().decode(done.get("b64_json").getAsString()));

        JsonObject edit = withLora(request(9), "chalk", 0.6);
        edit.addProperty("image", TinyServer.imageDataUrl());
        edit.addProperty("strength", 0.7);
        edit.addProperty("size", "16x16");
        byte[] withLora = editPng(edit);
        edit.remove("loras");
        assertFalse(java.util.Arrays.equals(withLora, editPng(edit)), "the LoRA changes an edit too");
    }

    private static byte[] editPng(JsonObject body) throws Exception {
        HttpResponse<String> r = tiny.post("/v1/images/edits", body.toString());
        assertEquals(200, r.statusCode(), r.body());
        return Base64.getDecoder().decode(TinyServer.json(r).getAsJsonArray("data").get(0).getAsJsonObject()
                .get("b64_json").getAsString());
    }

    @Test
    void concurrentRequestsWithDifferentLorasEachGetTheirSequentialImage() throws Exception {
        List<Callable<byte[]>> calls = List.of(
                () -> png(withLora(request(11), "ink", 1.0)),
                () -> png(withLora(request(11), "chalk", 1.0)),
                () -> png(request(11)),
                () -> png(withLora(request(11), "chalk", -0.5)));
        List<byte[]> sequential = new ArrayList<>();
        for (Callable<byte[]> c : calls) {
            sequential.add(c.call());
        }
        assertFalse(java.util.Arrays.equals(sequential.get(0), sequential.get(1)), "two LoRAs, two pictures");
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            for (int round = 0; round < 2; round++) {
                List<Future<byte[]>> running = new ArrayList<>();
                for (Callable<byte[]> c : calls) {
                    running.add(pool.submit(c));
                }
                for (int i = 0; i < calls.size(); i++) {
                    assertArrayEquals(sequential.get(i), running.get(i).get(), "request " + i + ", round " + round);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aRequestsControlNetGivesThePipelineWithThatControlNet() throws Exception {
        JsonObject control = new JsonObject();
        control.addProperty("name", "edges");
        control.addProperty("image", "data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(CONTROL_IMAGE)));
        control.addProperty("scale", 0.8);
        JsonObject body = request(5);
        body.add("controlnet", control);
        byte[] servedPng = png(body);
        RgbImage served = pixels(servedPng);
        RgbImage yaml = generated("controlnet", "denoiser:     { type: unet2d_condition, weights: unet }\n"
                + "controlnet:   { type: controlnet, weights: " + CONTROLNET + " }\n"
                + "controlnet_conditioning_scale: 0.8", CONTROL_IMAGE);
        assertEquals(0, maxPixelDiff(yaml, served), "the same ControlNet, image and scale");
        assertArrayEquals(Files.readAllBytes(dir.resolve("controlnet.png")), servedPng,
                "the PNG mix generate writes, parameters (ControlNet scale: 0.8) included");
        assertTrue(maxPixelDiff(served, pixels(png(request(5)))) > 8, "the ControlNet changes the picture");
        assertEquals(0, maxPixelDiff(served, pixels(png(body))), "again, from the cache");
        assertEquals(1, tiny.server.metrics().adapterCount(true, "tiny-sd", "controlnet"));
    }

    private static JsonObject error(JsonObject body) throws Exception {
        HttpResponse<String> r = tiny.post("/v1/images/generations", body.toString());
        assertEquals(400, r.statusCode(), r.body());
        return TinyServer.json(r).getAsJsonObject("error");
    }

    @Test
    void badNamesAndFieldsAreRefusedNamingTheField() throws Exception {
        JsonObject unknown = error(withLora(request(1), "nope", 1));
        assertEquals("loras[0].name", unknown.get("param").getAsString());
        assertTrue(unknown.get("message").getAsString().contains("[chalk, ink]"), unknown.toString());
        for (String traversal : List.of("../secret", "..", "/etc/passwd", "loras/ink", "ink.safetensors", "")) {
            assertEquals("loras[0].name", error(withLora(request(1), traversal, 1)).get("param").getAsString(),
                    traversal);
        }
        JsonObject badScale = withLora(request(1), "ink", 1);
        badScale.getAsJsonArray("loras").get(0).getAsJsonObject().addProperty("scale", "strong");
        assertEquals("loras[0].scale", error(badScale).get("param").getAsString());
        assertEquals("loras[0].scale", error(withLora(request(1), "ink", 99)).get("param").getAsString());
        JsonObject extra = withLora(request(1), "ink", 1);
        extra.getAsJsonArray("loras").get(0).getAsJsonObject().addProperty("weight", 1);
        assertEquals("loras[0].weight", error(extra).get("param").getAsString());
        JsonObject notList = request(1);
        notList.addProperty("loras", "ink");
        assertEquals("loras", error(notList).get("param").getAsString());

        JsonObject control = new JsonObject();
        control.addProperty("name", "edges");
        JsonObject noImage = request(1);
        noImage.add("controlnet", control);
        assertEquals("controlnet.image", error(noImage).get("param").getAsString());
        control.addProperty("image", TinyServer.imageDataUrl());
        control.addProperty("name", "../controlnets/edges");
        assertEquals("controlnet.name", error(noImage).get("param").getAsString());
    }

    @Test
    void modelsListTheirLorasAndControlNets() throws Exception {
        JsonObject sd = TinyServer.json(tiny.get("/v1/models/tiny-sd"));
        assertEquals("[\"chalk\",\"ink\"]", sd.get("loras").toString(), sd.toString());
        assertEquals("[\"edges\"]", sd.get("controlnets").toString(), sd.toString());
    }
}
