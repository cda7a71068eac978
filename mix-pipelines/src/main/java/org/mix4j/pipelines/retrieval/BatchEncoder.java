package org.mix4j.pipelines.retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecodeException;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.retrieval.ImageFolder.ImageFile;

/**
 * Decodes and encodes one batch of files into index rows. A file that fails in any way (it does not
 * decode, it is over the pixel limit, the heap cannot hold it, the processor or the encoder throws
 * on it) is reported by name and left out; the rest of the batch is encoded.
 */
final class BatchEncoder {

    private final ImageEmbedder embedder;
    private final ImageDecoder decoder;
    private final Consumer<Indexer.Skipped> onSkip;

    BatchEncoder(ImageEmbedder embedder, ImageDecoder decoder, Consumer<Indexer.Skipped> onSkip) {
        this.embedder = embedder;
        this.decoder = decoder;
        this.onSkip = onSkip;
    }

    /** Puts a row per encoded file of {@code batch} into {@code rows}, and each failure into {@code skipped}. */
    void encode(List<ImageFile> batch, Map<String, IndexRow> rows, List<Indexer.Skipped> skipped) {
        List<ImageFile> decodedFiles = new ArrayList<>();
        List<RgbImage> images = new ArrayList<>();
        for (ImageFile f : batch) {
            try {
                images.add(decoder.read(f.file()));
                decodedFiles.add(f);
            } catch (RuntimeException | OutOfMemoryError e) {
                skip(f, reason("cannot decode", e), skipped);
            }
        }
        embed(decodedFiles, images, rows, skipped);
    }

    /**
     * Encodes decoded images. When the batch fails, each image is encoded alone, so the one that
     * cannot be preprocessed or encoded (an 80,000,000 x 1 PNG) is named and skipped.
     */
    private void embed(List<ImageFile> files, List<RgbImage> images, Map<String, IndexRow> rows,
            List<Indexer.Skipped> skipped) {
        if (images.isEmpty()) {
            return;
        }
        float[][] embeddings;
        try {
            embeddings = embedder.embedImages(images);
        } catch (RuntimeException | OutOfMemoryError e) {
            if (images.size() == 1) {
                skip(files.get(0), reason("cannot preprocess or encode", e), skipped);
                return;
            }
            for (int i = 0; i < images.size(); i++) {
                embed(files.subList(i, i + 1), images.subList(i, i + 1), rows, skipped);
            }
            return;
        }
        int dim = embedder.fingerprint().dim();
        for (int i = 0; i < files.size(); i++) {
            ImageFile f = files.get(i);
            rows.put(f.relative(), IndexRow.of(new IndexEntry(f.relative(), f.size(), f.mtimeNanos()), embeddings[i], dim));
        }
    }

    private void skip(ImageFile f, String reason, List<Indexer.Skipped> skipped) {
        Indexer.Skipped s = new Indexer.Skipped(f.relative(), reason);
        skipped.add(s);
        onSkip.accept(s);
    }

    /** The decoder's messages name the file already; anything else is named by its type and message. */
    private static String reason(String what, Throwable e) {
        if (e instanceof ImageDecodeException) {
            return e.getMessage();
        }
        if (e instanceof OutOfMemoryError) {
            return what + ": out of memory (an image too large for the Java heap?)";
        }
        return what + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
