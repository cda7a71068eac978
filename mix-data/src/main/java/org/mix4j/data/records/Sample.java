package org.mix4j.data.records;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.mix4j.records.RecordPaths;

/**
 * One training sample in every format's common shape: images, the conversation with an
 * {@code <image>} placeholder where each image goes (LLaVA's convention), and every field the
 * format does not define kept as JSON text, so conversions keep what they do not understand.
 * Serializable (strings and lists only), so operators over samples run as Spark functions too.
 *
 * @param where {@code FILE:LINE} or {@code FILE[INDEX]}, for messages
 * @param base the data file's folder: relative image paths resolve against it
 * @param images image paths (or URLs) as written in the record, in placeholder order
 * @param turns the messages
 * @param extra the record's other fields, a JSON object's text
 */
public record Sample(String where, String base, List<String> images, List<Turn> turns, String extra)
        implements Serializable {

    /** The placeholder for one image in a message's text. */
    public static final String IMAGE = "<image>";

    /**
     * One message.
     *
     * @param role {@code user}, {@code assistant}, {@code system}, or another role as written
     * @param extra the message's other fields, a JSON object's text
     */
    public record Turn(String role, String text, String extra) implements Serializable {

        public Turn {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(text, "text");
            extra = extra == null || extra.isEmpty() ? "{}" : extra;
        }

        public Turn withText(String newText) {
            return new Turn(role, newText, extra);
        }
    }

    public Sample {
        images = List.copyOf(images);
        turns = List.copyOf(turns);
        extra = extra == null || extra.isEmpty() ? "{}" : extra;
    }

    /** The other fields as a fresh JSON object (the caller may change it). */
    public JsonObject extraObject() {
        return JsonParser.parseString(extra).getAsJsonObject();
    }

    /** This sample with field {@code key} set among the other fields. */
    public Sample withField(String key, JsonElement value) {
        JsonObject o = extraObject();
        o.add(key, value);
        return new Sample(where, base, images, turns, o.toString());
    }

    public Sample withTurns(List<Turn> newTurns) {
        return new Sample(where, base, images, newTurns, extra);
    }

    public Sample withImages(List<String> newImages) {
        return new Sample(where, base, newImages, turns, extra);
    }

    /** The {@code id} field when the record has one, else where it is: how reports name samples. */
    public String id() {
        JsonElement id = extraObject().get("id");
        return id != null && id.isJsonPrimitive() ? id.getAsString() : where;
    }

    /** The image files, resolved against {@link #base} (URLs are left out). */
    public List<Path> imagePaths() {
        Path dir = Path.of(base);
        return images.stream().filter(i -> !RecordPaths.isUrl(i)).map(i -> RecordPaths.resolve(i, dir)).toList();
    }

    /** Every message's text joined by newlines, placeholders removed. */
    public String text() {
        return joined(turns);
    }

    /**
     * The answers' text (the {@code assistant} messages: a caption pair's caption) joined by
     * newlines, placeholders removed: what the text rules measure, since the questions of converted
     * caption pairs are a fixed prompt.
     */
    public String answerText() {
        return joined(turns.stream().filter(t -> t.role().equals("assistant")).toList());
    }

    private static String joined(List<Turn> turns) {
        StringBuilder b = new StringBuilder();
        for (Turn t : turns) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(t.text().replace(IMAGE, "").strip());
        }
        return b.toString();
    }

    /** The text of the first message with {@code role}, or {@code null}. */
    public String firstText(String role) {
        return turns.stream().filter(t -> t.role().equals(role)).map(Turn::text).findFirst().orElse(null);
    }
}
