package org.mix4j.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonRecordReaderTest {

    @TempDir
    Path dir;

    private List<JsonRecordReader.Entry> all(Path file) {
        List<JsonRecordReader.Entry> out = new ArrayList<>();
        try (JsonRecordReader r = JsonRecordReader.open(file)) {
            r.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void jsonlNamesLinesAndKeepsBadLinesAsErrors() throws IOException {
        Path f = Files.writeString(dir.resolve("d.jsonl"), "\n{\"a\":1}\n\n{broken\n{\"a\":2}\n");
        List<JsonRecordReader.Entry> e = all(f);
        assertEquals(3, e.size());
        assertEquals(f + ":2", e.get(0).where());
        assertEquals(f + ":4", e.get(1).where());
        assertNull(e.get(1).json());
        assertTrue(e.get(1).error().startsWith("not a JSON object"), e.get(1).error());
        assertEquals(2, e.get(2).json().getAsJsonObject().get("a").getAsInt());
    }

    @Test
    void arrayIsStreamedWithIndices() throws IOException {
        Path f = Files.writeString(dir.resolve("d.json"), "\uFEFF  [ {\"a\":1},\n {\"a\":2} ]");
        try (JsonRecordReader r = JsonRecordReader.open(f)) {
            assertTrue(r.isArray());
            assertEquals(f + "[0]", r.next().where());
            assertEquals(2, r.next().json().getAsJsonObject().get("a").getAsInt());
            assertFalse(r.hasNext());
            assertEquals(Files.size(f), r.bytesRead());
        }
    }

    @Test
    void brokenArrayIsAnErrorNamingTheFile() throws IOException {
        Path f = Files.writeString(dir.resolve("d.json"), "[{\"a\":1}, {\"a\" 2}]");
        try (JsonRecordReader r = JsonRecordReader.open(f)) {
            r.next();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::next);
            assertTrue(e.getMessage().startsWith(f + ": not a JSON array of samples"), e.getMessage());
        }
    }

    @Test
    void relativePathsResolveAgainstTheDataFilesFolder() {
        Path base = RecordPaths.base(dir.resolve("sub/d.jsonl"));
        assertEquals(dir.resolve("sub/img/a.png"), RecordPaths.resolve("img/../img/a.png", base));
        assertEquals(Path.of("/abs/a.png"), RecordPaths.resolve("/abs/a.png", base));
        assertTrue(RecordPaths.isUrl("https://x/a.png"));
    }
}
