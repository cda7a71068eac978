package org.mix4j.data.filter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.RgbImage;
import org.mix4j.data.records.Sample;
import org.mix4j.image.ImageDecodeException;
import org.mix4j.image.ImageDecoder;

/** A sample's image files, decoded on first use and shared by the rules that look at pixels. */
public final class SampleImages {

    /**
     * One image: its pixels, or why it cannot be decoded.
     *
     * @param image {@code null} when {@code error} says why
     */
    public record Decoded(Path path, RgbImage image, String error) {}

    private final Sample sample;
    private final ImageDecoder decoder;
    private List<Decoded> decoded;

    public SampleImages(Sample sample, ImageDecoder decoder) {
        this.sample = sample;
        this.decoder = decoder;
    }

    /** Every local image of the sample (URLs are not fetched), decoded. */
    public List<Decoded> all() {
        if (decoded == null) {
            List<Decoded> out = new ArrayList<>();
            for (Path p : sample.imagePaths()) {
                try {
                    out.add(new Decoded(p, decoder.read(p), null));
                } catch (ImageDecodeException | IllegalArgumentException e) {
                    out.add(new Decoded(p, null, e.getMessage()));
                }
            }
            decoded = out;
        }
        return decoded;
    }

    /** The decoded images; the ones that failed are left to the {@code decodable} rule. */
    public List<RgbImage> ok() {
        return all().stream().filter(d -> d.image() != null).map(Decoded::image).toList();
    }
}
