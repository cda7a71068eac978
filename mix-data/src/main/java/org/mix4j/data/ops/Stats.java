package org.mix4j.data.ops;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.mix4j.data.records.Sample;
import org.mix4j.data.records.SampleReader;

/**
 * {@code mix data stats}: counts (samples, images, messages, bad records), histograms of text
 * length (characters) and image size (shorter side, from the file header, nothing decoded) on
 * power-of-two bins (text: the answers, a caption pair's caption), and tag frequencies (the {@code tags} field {@code mix data tag} writes).
 * The counts add up in any order ({@link #merge}), so a Spark job gathers the same numbers from partitions.
 */
public final class Stats implements java.io.Serializable {

    private static final int[] TEXT_EDGES = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
    private static final int[] SIDE_EDGES = {32, 64, 128, 256, 512, 1024, 2048, 4096};
    /** How many tags the JSON keeps, most frequent first. */
    private static final int TAGS_KEPT = 1000;

    private final long[] textBins = new long[TEXT_EDGES.length + 1];
    private final long[] sideBins = new long[SIDE_EDGES.length + 1];
    private final Map<String, Long> tags = new HashMap<>();
    private long samples;
    private long images;
    private long unreadableImages;
    private long messages;
    private long textChars;

    private Stats() {}

    /** No samples yet. */
    public static Stats empty() {
        return new Stats();
    }

    /** @param readImages read each image's header for the size histogram */
    public static JsonObject of(DataRun run, Path in, boolean readImages) {
        Stats s = new Stats();
        long read;
        String format;
        try (SampleReader r = run.open(in)) {
            format = r.format().id();
            while (r.hasNext()) {
                s.add(r.next(), readImages);
                run.tick(r);
            }
            read = r.recordsRead();
        }
        return s.json(in.toString(), format, read, run.bad().count());
    }

    /** Both counts in one (this one, changed). */
    public Stats merge(Stats o) {
        for (int i = 0; i < textBins.length; i++) {
            textBins[i] += o.textBins[i];
        }
        for (int i = 0; i < sideBins.length; i++) {
            sideBins[i] += o.sideBins[i];
        }
        o.tags.forEach((tag, n) -> tags.merge(tag, n, Long::sum));
        samples += o.samples;
        images += o.images;
        unreadableImages += o.unreadableImages;
        messages += o.messages;
        textChars += o.textChars;
        return this;
    }

    /** The report {@link #of} gives, of the samples added, for {@code records} read from {@code file}. */
    public JsonObject json(String file, String format, long records, long badRecords) {
        JsonObject o = json();
        o.addProperty("file", file);
        o.addProperty("format", format);
        o.addProperty("records", records);
        o.addProperty("bad_records", badRecords);
        return o;
    }

    /** Counts {@code sample}; {@code readImages}: read its images' headers for the size histogram. */
    public Stats add(Sample sample, boolean readImages) {
        samples++;
        messages += sample.turns().size();
        String text = sample.answerText();
        int chars = text.codePointCount(0, text.length());
        textChars += chars;
        textBins[bin(TEXT_EDGES, chars)]++;
        images += sample.images().size();
        if (readImages) {
            for (Path p : sample.imagePaths()) {
                int side = shortSide(p);
                if (side < 0) {
                    unreadableImages++;
                } else {
                    sideBins[bin(SIDE_EDGES, side)]++;
                }
            }
        }
        JsonElement t = sample.extraObject().get("tags");
        if (t != null && t.isJsonArray()) {
            for (JsonElement tag : t.getAsJsonArray()) {
                if (tag.isJsonPrimitive()) {
                    tags.merge(tag.getAsString(), 1L, Long::sum);
                }
            }
        }
        return this;
    }

    private JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("samples", samples);
        o.addProperty("images", images);
        o.addProperty("unreadable_images", unreadableImages);
        o.addProperty("messages", messages);
        o.addProperty("mean_text_chars", samples == 0 ? 0 : (double) textChars / samples);
        o.add("text_chars", histogram(TEXT_EDGES, textBins));
        o.add("image_short_side", histogram(SIDE_EDGES, sideBins));
        JsonObject tagJson = new JsonObject();
        tags.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey())).limit(TAGS_KEPT)
                .forEach(e -> tagJson.addProperty(e.getKey(), e.getValue()));
        o.addProperty("distinct_tags", tags.size());
        o.add("tags", tagJson);
        return o;
    }

    /** The text form {@code mix data stats} prints. */
    public static String describe(JsonObject o) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s (%s): %d samples, %d bad records, %d images (%d unreadable), %d messages, "
                + "%.1f characters a sample%n", o.get("file").getAsString(), o.get("format").getAsString(),
                o.get("samples").getAsLong(), o.get("bad_records").getAsLong(), o.get("images").getAsLong(),
                o.get("unreadable_images").getAsLong(), o.get("messages").getAsLong(), o.get("mean_text_chars").getAsDouble()));
        describe(b, "answer length (characters)", o.getAsJsonArray("text_chars"));
        describe(b, "image shorter side (px)", o.getAsJsonArray("image_short_side"));
        JsonObject tags = o.getAsJsonObject("tags");
        if (!tags.isEmpty()) {
            b.append("tags (").append(o.get("distinct_tags").getAsLong()).append(" distinct), most frequent:\n");
            tags.entrySet().stream().limit(20).forEach(e -> b.append(String.format(Locale.ROOT, "  %-24s %d%n",
                    e.getKey(), e.getValue().getAsLong())));
        }
        return b.toString();
    }

    private static void describe(StringBuilder b, String title, JsonArray bins) {
        long max = 1;
        for (JsonElement e : bins) {
            max = Math.max(max, e.getAsJsonObject().get("count").getAsLong());
        }
        b.append(title).append(":\n");
        for (JsonElement e : bins) {
            long count = e.getAsJsonObject().get("count").getAsLong();
            b.append(String.format(Locale.ROOT, "  %-12s %10d %s%n", e.getAsJsonObject().get("range").getAsString(),
                    count, "#".repeat((int) (40 * count / max))));
        }
    }

    private static JsonArray histogram(int[] edges, long[] bins) {
        JsonArray a = new JsonArray();
        for (int i = 0; i < bins.length; i++) {
            JsonObject bin = new JsonObject();
            String low = i == 0 ? "0" : String.valueOf(edges[i - 1]);
            bin.addProperty("range", i == edges.length ? low + "+" : low + "-" + (edges[i] - 1));
            bin.addProperty("count", bins[i]);
            a.add(bin);
        }
        return a;
    }

    private static int bin(int[] edges, int value) {
        int i = 0;
        while (i < edges.length && value >= edges[i]) {
            i++;
        }
        return i;
    }

    /** The shorter side from the image file's header, or -1 when it cannot be read. */
    static int shortSide(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                return -1;
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return -1;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return Math.min(reader.getWidth(0), reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

}
