package org.mix4j.spark;

import java.nio.file.Path;
import org.apache.spark.sql.Row;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;

/**
 * One input row, with the columns {@link InputData} gives every dataset (any of them but the id may be null).
 *
 * @param image the image's path as the input names it (relative paths resolve against the image root)
 * @param imageBytes the image's encoded bytes (a binary image column), instead of a path
 * @param size the file's size in bytes (an image folder), for the index
 * @param mtimeNanos the file's modification time (an image folder), for the index
 */
record InputRow(String id, String image, byte[] imageBytes, String prompt, String text, Long seed, Long size,
        Long mtimeNanos) {

    static InputRow of(Row row) {
        return new InputRow(row.getString(0), row.getString(1), (byte[]) row.get(2), row.getString(3),
                row.getString(4), (Long) row.get(5), (Long) row.get(6), (Long) row.get(7));
    }

    /**
     * What the row asks: its prompt, else the job's {@code --prompt}, else (for a text model) its
     * text; a row with none is an error naming the column.
     */
    String prompt(JobOptions options, boolean textIsPrompt) {
        String p = prompt != null ? prompt : options.prompt() != null ? options.prompt() : textIsPrompt ? text : null;
        if (p == null) {
            throw new IllegalArgumentException("the row has no prompt (column '" + options.columns().prompt()
                    + "', or --prompt for every row)");
        }
        return p;
    }

    boolean hasImage() {
        return image != null || imageBytes != null;
    }

    /** The image's file: absolute as given, relative against {@code root} (or the working directory). */
    Path imageFile(String root) {
        Path p = Path.of(image);
        return p.isAbsolute() || root == null ? p : Path.of(root).resolve(p);
    }

    /** Decodes the row's image; an undecodable or missing one throws, naming it. */
    RgbImage decode(ImageDecoder decoder, String root) {
        return imageBytes != null ? decoder.read(imageBytes, "row " + id) : decoder.read(imageFile(root));
    }
}
