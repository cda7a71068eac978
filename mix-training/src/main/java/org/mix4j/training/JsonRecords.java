package org.mix4j.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.records.JsonRecordReader;

/**
 * The records of a training data file ({@link JsonRecordReader}: a JSON array, or JSONL), all in
 * memory; a line that is not JSON is an error naming the file and line.
 */
final class JsonRecords {

    private JsonRecords() {}

    static List<JsonRecordReader.Entry> read(Path file) {
        List<JsonRecordReader.Entry> out = new ArrayList<>();
        try (JsonRecordReader reader = JsonRecordReader.open(file)) {
            while (reader.hasNext()) {
                JsonRecordReader.Entry e = reader.next();
                if (e.error() != null) {
                    throw new IllegalArgumentException(e.where() + ": " + e.error());
                }
                out.add(e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": holds no samples");
        }
        return out;
    }

    /** An image a record names, decoded; an error names the record ({@code where}) and the file. */
    static RgbImage image(String where, Path file) {
        try {
            return ImageDecoder.readRgb(file);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(where + ": image " + file + ": " + e.getMessage(), e);
        }
    }
}
