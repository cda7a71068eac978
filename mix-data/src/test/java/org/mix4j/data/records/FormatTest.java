package org.mix4j.data.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every format reads, writes and converts both ways keeping the fields it does not define. */
class FormatTest {

    static final String LLAVA = "{\"id\": \"s1\", \"source\": {\"site\": \"x\", \"n\": [1, 2]}, \"image\": \"img/a.png\", "
            + "\"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nWhat is it?\", \"lang\": \"en\"}, "
            + "{\"from\": \"gpt\", \"value\": \"A red sun.\"}, {\"from\": \"human\", \"value\": \"Sure?\"}, "
            + "{\"from\": \"gpt\", \"value\": \"Yes.\", \"weight\": 0.5}]}";
    static final String SHAREGPT = "{\"id\": 7, \"system\": \"Be brief.\", \"images\": [\"a.png\", \"b.png\"], "
            + "\"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\n<image>\\nCompare.\"}, "
            + "{\"from\": \"gpt\", \"value\": \"Same.\"}], \"meta\": null}";
    static final String OPENAI = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be kind.\"}, {\"role\": \"user\", "
            + "\"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"a.png\"}}, {\"type\": \"text\", \"text\": "
            + "\"What?\"}], \"name\": \"ann\"}, {\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": "
            + "\"A cat.\"}]}], \"license\": \"cc-by\"}";
    static final String CAPTION = "{\"image\": \"a.png\", \"caption\": \"a red sun\", \"width\": 64, \"tags\": [\"sun\"]}";

    private static JsonObject json(String s) {
        return JsonParser.parseString(s).getAsJsonObject();
    }

    private static JsonObject via(String record, Format from, Format to) {
        Sample s = from.read(json(record), "f:1", "/data", Format.DEFAULT_CAPTION_PROMPT);
        JsonObject there = to.write(s, Format.DEFAULT_CAPTION_PROMPT);
        Sample back = to.read(there, "g:1", "/data", Format.DEFAULT_CAPTION_PROMPT);
        assertEquals(s.images(), back.images(), there.toString());
        assertEquals(s.turns(), back.turns(), there.toString());
        assertEquals(s.extraObject(), back.extraObject(), there.toString());
        return from.write(back, Format.DEFAULT_CAPTION_PROMPT);
    }

    @Test
    void llavaRoundTripsThroughEveryConversationFormat() {
        for (Format to : List.of(Format.LLAVA, Format.SHAREGPT, Format.OPENAI)) {
            assertEquals(json(LLAVA), via(LLAVA, Format.LLAVA, to), to.id());
        }
    }

    @Test
    void shareGptAndOpenAiRoundTrip() {
        for (Format to : List.of(Format.LLAVA, Format.SHAREGPT, Format.OPENAI)) {
            assertEquals(json(SHAREGPT), via(SHAREGPT, Format.SHAREGPT, to), to.id());
        }
        JsonObject expected = json(OPENAI);
        // a string content comes back as one text part; everything else as it was
        expected.getAsJsonArray("messages").get(0).getAsJsonObject().add("content",
                json("{\"c\": [{\"type\": \"text\", \"text\": \"Be kind.\"}]}").get("c"));
        for (Format to : List.of(Format.LLAVA, Format.SHAREGPT, Format.OPENAI)) {
            assertEquals(expected, via(OPENAI, Format.OPENAI, to), to.id());
        }
    }

    @Test
    void theOpenAiFormatImpliesTheNewlineBetweenAnImageAndText() {
        String tight = SHAREGPT.replace("<image>\\n<image>\\nCompare.", "<image><image>Compare.");
        assertEquals(json(tight), via(tight, Format.SHAREGPT, Format.LLAVA));
        Sample s = Format.SHAREGPT.read(json(tight), "f:1", "/d", "x");
        Sample back = Format.OPENAI.read(Format.OPENAI.write(s, "x"), "f:1", "/d", "x");
        assertEquals("<image>\n<image>\nCompare.", back.turns().get(1).text());
    }

    @Test
    void captionPairsRoundTripAndKeepAPromptThatIsNotTheDefault() {
        for (Format to : List.of(Format.LLAVA, Format.SHAREGPT, Format.OPENAI, Format.CAPTION)) {
            assertEquals(json(CAPTION), via(CAPTION, Format.CAPTION, to), to.id());
        }
        JsonObject asLlava = Format.LLAVA.write(Format.CAPTION.read(json(CAPTION), "f:1", "/d", "Describe."), "Describe.");
        assertEquals("<image>\nDescribe.", asLlava.getAsJsonArray("conversations").get(0).getAsJsonObject()
                .get("value").getAsString());
        String stage1 = "{\"image\": \"a.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nWhat?\"}, "
                + "{\"from\": \"gpt\", \"value\": \"a sun\"}]}";
        JsonObject pair = Format.CAPTION.write(Format.LLAVA.read(json(stage1), "f:1", "/d", "x"), "x");
        assertEquals(json("{\"image\": \"a.png\", \"caption\": \"a sun\", \"prompt\": \"What?\"}"), pair);
        assertEquals(json(stage1), via(stage1, Format.LLAVA, Format.CAPTION));
    }

    @Test
    void aConversationThatIsNoCaptionPairIsRefusedNotCut() {
        Sample s = Format.LLAVA.read(json(LLAVA), "f:3", "/d", "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Format.CAPTION.write(s, "x"));
        assertTrue(e.getMessage().startsWith("f:3: an image-caption pair holds one image and one answer"), e.getMessage());
    }

    @Test
    void imagefolderSpellingReads() {
        Sample s = Format.CAPTION.read(json("{\"file_name\": \"a.png\", \"text\": \"a cat\"}"), "f:1", "/d", "x");
        assertEquals(List.of("a.png"), s.images());
        assertEquals("a cat", s.firstText("assistant"));
        assertEquals(List.of(Path.of("/d/a.png")), s.imagePaths());
    }

    @Test
    void formatsAreDetectedFromTheFirstRecords(@TempDir Path dir) throws IOException {
        assertEquals(Format.LLAVA, SampleReader.detect(Files.writeString(dir.resolve("a.jsonl"), LLAVA + "\n")));
        assertEquals(Format.SHAREGPT, SampleReader.detect(Files.writeString(dir.resolve("b.json"), "[" + SHAREGPT + "]")));
        assertEquals(Format.OPENAI, SampleReader.detect(Files.writeString(dir.resolve("c.jsonl"), OPENAI + "\n")));
        assertEquals(Format.CAPTION, SampleReader.detect(Files.writeString(dir.resolve("d.jsonl"), CAPTION + "\n")));
        String textOnly = "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}]}\n";
        assertEquals(Format.SHAREGPT, SampleReader.detect(Files.writeString(dir.resolve("e.jsonl"), textOnly + SHAREGPT)));
        assertEquals(Format.LLAVA, SampleReader.detect(Files.writeString(dir.resolve("f.jsonl"), textOnly)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SampleReader.detect(Files.writeString(dir.resolve("g.jsonl"), "{\"x\": 1}\n")));
        assertTrue(e.getMessage().contains("--from"), e.getMessage());
    }

    @Test
    void writerMovesIntoPlaceOnlyWhenCommittedAndRebasesImagePaths(@TempDir Path dir) throws IOException {
        Path in = Files.writeString(Files.createDirectories(dir.resolve("in")).resolve("d.jsonl"), CAPTION + "\n");
        Path out = dir.resolve("out/sub/d.json");
        BadRecords bad = new BadRecords(true, null);
        try (SampleReader r = SampleReader.open(in, null, "x", bad); SampleWriter w = SampleWriter.open(out, Format.LLAVA, "x",
                List.of(in))) {
            w.write(r.next());
            assertTrue(Files.notExists(out));
        }
        assertTrue(Files.notExists(out));
        try (SampleReader r = SampleReader.open(in, null, "x", bad); SampleWriter w = SampleWriter.open(out,
                Format.LLAVA, "x", List.of(in))) {
            w.write(r.next());
            w.commit();
        }
        JsonObject written = JsonParser.parseString(Files.readString(out)).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals("../../in/a.png", written.get("image").getAsString());
        try (SampleReader r = SampleReader.open(out, null, "x", bad)) {
            assertEquals(List.of(in.getParent().resolve("a.png")), r.next().imagePaths());
        }
        try (var files = Files.list(out.getParent())) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        assertThrows(IllegalArgumentException.class, () -> SampleWriter.open(dir.resolve("in/../in/d.jsonl"),
                Format.LLAVA, "x", List.of(in)));
    }

    @Test
    void badRecordsAreReportedWithFileAndLineOrStopTheRun(@TempDir Path dir) throws IOException {
        Path in = Files.writeString(dir.resolve("d.jsonl"), CAPTION + "\n{oops\n[1]\n{\"image\": \"b.png\"}\n" + CAPTION + "\n");
        BadRecords skip = new BadRecords(false, null);
        List<Sample> read = new ArrayList<>();
        try (SampleReader r = SampleReader.open(in, Format.CAPTION, "x", skip)) {
            r.forEachRemaining(read::add);
        }
        assertEquals(2, read.size());
        assertEquals(3, skip.count());
        assertTrue(skip.listed().get(0).startsWith(in + ":2: not a JSON object"), skip.listed().toString());
        assertTrue(skip.listed().get(2).startsWith(in + ":4: an image-caption pair needs"), skip.listed().toString());
        BadRecords fail = new BadRecords(true, null);
        try (SampleReader r = SampleReader.open(in, Format.CAPTION, "x", fail)) {
            r.next();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::next);
            assertTrue(e.getMessage().startsWith(in + ":2: not a JSON object"), e.getMessage());
        }
    }
}
