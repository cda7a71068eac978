package org.mix4j.data.synth;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes a synthetic data set into a folder: {@code images/scene-NNNNN.png} (or {@code .jpg}),
 * {@code scenes.jsonl} (what each picture holds: the truth tests check answers against), and per
 * language ({@code en} plain names, {@code zh} with a {@code -zh} suffix): {@code captions.jsonl}
 * (image-caption pairs for the contrastive and diffusion objectives), {@code llava-captions.jsonl}
 * (LLaVA stage 1: describe the picture) and {@code llava-vqa.jsonl} (stage 2: one question a
 * sample, with its {@code kind}; where shapes stand one above the other, {@code answers} lists the
 * reply and its other right orders for {@code mix eval --answers}), and {@code synth.json} (seed,
 * count, options). The text files are written beside the folder's final names and moved into place
 * when complete.
 */
public final class SynthWriter {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private SynthWriter() {}

    /** What was written. */
    public record Summary(int scenes, int questions, int jpegs) {}

    /** {@link #write(Path, long, int, SynthOptions, boolean, int, LongConsumer)} on one thread per processor. */
    public static Summary write(Path out, long seed, int count, SynthOptions options, boolean overwrite,
            LongConsumer progress) {
        return write(out, seed, count, options, overwrite, Runtime.getRuntime().availableProcessors(), progress);
    }

    /**
     * @param out a folder that is empty or absent ({@code overwrite} allows one holding an earlier set)
     * @param threads how many scenes are drawn and saved at once; every file is the same whatever the
     *     number (a scene's drawing depends only on the seed and its index, and the text files are
     *     written in scene order)
     * @param progress told the number of scenes done after each, in order, on the calling thread
     */
    public static Summary write(Path out, long seed, int count, SynthOptions options, boolean overwrite, int threads,
            LongConsumer progress) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        ExecutorService pool = null;
        try {
            prepare(out, overwrite);
            Path images = Files.createDirectories(out.resolve("images"));
            SceneSampler sampler = new SceneSampler(seed, options);
            Map<String, Writer> files = new LinkedHashMap<>();
            int questions = 0;
            int jpegs = 0;
            try {
                Writer scenes = open(files, out, "scenes.jsonl");
                for (String lang : options.languages()) {
                    String suffix = lang.equals("en") ? "" : "-" + lang;
                    open(files, out, "captions" + suffix + ".jsonl");
                    open(files, out, "llava-captions" + suffix + ".jsonl");
                    open(files, out, "llava-vqa" + suffix + ".jsonl");
                }
                // scenes are drawn a few ahead on the pool and written in order
                pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
                    Thread t = new Thread(r, "mix-synth");
                    t.setDaemon(true);
                    return t;
                });
                Deque<Future<Drawn>> ahead = new ArrayDeque<>();
                int next = 0;
                for (int i = 0; i < count; i++) {
                    Drawn drawn;
                    if (pool == null) {
                        drawn = draw(sampler, options, i, images);
                    } else {
                        for (; next < count && next < i + 4 * threads; next++) {
                            int index = next;
                            ahead.add(pool.submit(() -> draw(sampler, options, index, images)));
                        }
                        drawn = result(ahead.removeFirst());
                    }
                    line(scenes, drawn.truth());
                    for (Map.Entry<String, List<JsonObject>> file : drawn.lines().entrySet()) {
                        for (JsonObject o : file.getValue()) {
                            line(files.get(file.getKey()), o);
                        }
                    }
                    questions += drawn.questions();
                    jpegs += drawn.jpeg() ? 1 : 0;
                    progress.accept(i + 1);
                }
            } finally {
                if (pool != null) {
                    pool.shutdownNow();
                }
                for (Writer w : files.values()) {
                    w.close();
                }
            }
            for (String name : files.keySet()) {
                Files.move(out.resolve(name + ".tmp"), out.resolve(name), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
            JsonObject meta = new JsonObject();
            meta.addProperty("seed", seed);
            meta.addProperty("count", count);
            meta.add("options", GSON.toJsonTree(options));
            Files.writeString(out.resolve("synth.json"), new GsonBuilder().setPrettyPrinting().create().toJson(meta) + "\n");
            return new Summary(count, questions, jpegs);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
    }

    /** One scene: its picture saved, the lines of every text file (by name), its question count. */
    private record Drawn(boolean jpeg, JsonObject truth, Map<String, List<JsonObject>> lines, int questions) {}

    /** Draws and saves scene {@code i}; its random source is consumed in one fixed order, so any thread may run it. */
    private static Drawn draw(SceneSampler sampler, SynthOptions options, int i, Path images) throws IOException {
        Scene scene = sampler.scene(i);
        Random random = sampler.random(-1 - i); // drawing and questions: apart from the layout's draw
        boolean jpeg = random.nextDouble() < options.jpeg();
        String name = String.format(Locale.ROOT, "scene-%05d.%s", i, jpeg ? "jpg" : "png");
        BufferedImage image = SceneRenderer.render(scene, options.noise(), random);
        save(image, images.resolve(name), jpeg ? 60 + random.nextInt(36) : 0);
        String imagePath = "images/" + name;
        Map<String, List<JsonObject>> lines = new LinkedHashMap<>();
        int questions = 0;
        for (String lang : options.languages()) {
            String suffix = lang.equals("en") ? "" : "-" + lang;
            List<String> captions = SceneText.captions(scene, lang); // the first: left to right
            JsonObject pair = new JsonObject();
            pair.addProperty("image", imagePath);
            pair.addProperty("caption", captions.get(0));
            lines.put("captions" + suffix + ".jsonl", List.of(pair));
            lines.put("llava-captions" + suffix + ".jsonl", List.of(conversation(
                    String.format(Locale.ROOT, "scene-%05d-caption", i), imagePath,
                    lang.equals("zh") ? "描述这张图片。" : "Describe the picture.",
                    captions.get(0), captions.subList(1, captions.size()), "caption")));
            List<SceneText.Qa> qas = SceneText.questions(scene, lang, new Random(random.nextLong()));
            List<JsonObject> vqa = new ArrayList<>();
            for (int q = 0; q < qas.size(); q++) {
                SceneText.Qa qa = qas.get(q);
                vqa.add(conversation(String.format(Locale.ROOT, "scene-%05d-%s-q%d", i, lang, q), imagePath,
                        qa.question(), qa.answer(), qa.alsoRight(), qa.kind()));
            }
            lines.put("llava-vqa" + suffix + ".jsonl", vqa);
            questions += qas.size();
        }
        return new Drawn(jpeg, truth(i, imagePath, scene), lines, questions);
    }

    /** A drawn scene, or what stopped its drawing, as thrown on the calling thread. */
    private static Drawn result(Future<Drawn> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while drawing scenes", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    private static void prepare(Path out, boolean overwrite) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException(out + " is a file, not a folder");
        }
        if (Files.isDirectory(out) && !overwrite) {
            try (var entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException(out + " is not empty; choose another folder or pass --overwrite "
                            + "(which replaces the files a synth run writes there)");
                }
            }
        }
        if (overwrite && Files.isDirectory(out.resolve("images"))) {
            try (var old = Files.list(out.resolve("images"))) {
                for (Path p : old.filter(p -> p.getFileName().toString().matches("scene-\\d+\\.(png|jpg)")).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(out);
    }

    private static Writer open(Map<String, Writer> files, Path out, String name) throws IOException {
        Writer w = Files.newBufferedWriter(out.resolve(name + ".tmp"), StandardCharsets.UTF_8);
        files.put(name, w);
        return w;
    }

    private static void line(Writer w, JsonObject o) throws IOException {
        w.write(GSON.toJson(o));
        w.write('\n');
    }

    private static JsonObject truth(int index, String image, Scene scene) {
        JsonObject o = new JsonObject();
        o.addProperty("id", String.format(Locale.ROOT, "scene-%05d", index));
        o.addProperty("image", image);
        o.addProperty("width", scene.width());
        o.addProperty("height", scene.height());
        o.addProperty("background", scene.background().english());
        o.addProperty("textured", scene.textured());
        o.addProperty("style", scene.style().name().toLowerCase(Locale.ROOT));
        JsonArray shapes = new JsonArray();
        for (Scene.Shape s : scene.leftToRight()) {
            JsonObject j = new JsonObject();
            j.addProperty("shape", s.kind().english());
            j.addProperty("colour", s.colour().english());
            j.addProperty("x", Math.round(s.x() * 10) / 10.0);
            j.addProperty("y", Math.round(s.y() * 10) / 10.0);
            j.addProperty("radius", Math.round(s.radius() * 10) / 10.0);
            String where = scene.where(s);
            if (where != null) {
                j.addProperty("where", where);
            }
            shapes.add(j);
        }
        o.add("shapes", shapes);
        return o;
    }

    /** A LLaVA sample; where other answers are as right, {@code answers} lists them all, the reply first. */
    private static JsonObject conversation(String id, String image, String question, String answer, List<String> alsoRight,
            String kind) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("image", image);
        o.addProperty("kind", kind);
        JsonArray turns = new JsonArray();
        JsonObject human = new JsonObject();
        human.addProperty("from", "human");
        human.addProperty("value", "<image>\n" + question);
        JsonObject gpt = new JsonObject();
        gpt.addProperty("from", "gpt");
        gpt.addProperty("value", answer);
        turns.add(human);
        turns.add(gpt);
        o.add("conversations", turns);
        if (!alsoRight.isEmpty()) {
            JsonArray answers = new JsonArray();
            answers.add(answer);
            alsoRight.forEach(answers::add);
            o.add("answers", answers);
        }
        return o;
    }

    /** PNG ({@code quality} 0) or JPEG at {@code quality} percent. */
    static void save(BufferedImage image, Path file, int quality) throws IOException {
        if (quality == 0) {
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IOException("no PNG writer");
            }
            return;
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (OutputStream os = Files.newOutputStream(file); ImageOutputStream ios = ImageIO.createImageOutputStream(os)) {
            writer.setOutput(ios);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality / 100f);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
