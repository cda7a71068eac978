package org.mix4j.data.synth;

import java.util.List;

/**
 * What {@code mix data synth} draws.
 *
 * @param minSize shortest side, pixels (>= 32)
 * @param maxSize longest side, pixels
 * @param maxShapes 1 to 3 shapes a scene
 * @param sketch the fraction of scenes drawn in the hand-drawn style
 * @param jpeg the fraction of scenes saved as JPEG (quality 60-95) instead of PNG
 * @param textured the fraction of backgrounds with a faint pattern
 * @param noise the standard deviation of the pixel noise added to every picture (0-255 scale)
 * @param languages {@code en}, {@code zh} or both: which captions and questions are written
 * @param tilt the largest turn of a shape from upright, degrees either way (0 to 180; 0: all upright)
 */
public record SynthOptions(int minSize, int maxSize, int maxShapes, double sketch, double jpeg, double textured,
        double noise, List<String> languages, double tilt) {

    public static final List<String> LANGUAGES = List.of("en", "zh");

    /** Shapes turned up to 15 degrees either way. */
    public static final double DEFAULT_TILT = 15;

    /** Shapes turned up to {@link #DEFAULT_TILT} degrees either way. */
    public SynthOptions(int minSize, int maxSize, int maxShapes, double sketch, double jpeg, double textured,
            double noise, List<String> languages) {
        this(minSize, maxSize, maxShapes, sketch, jpeg, textured, noise, languages, DEFAULT_TILT);
    }

    /** 64 to 512 px, 1 to 3 shapes, a third textured, a fifth JPEG, light noise, clean drawing, both languages, 15 degrees of tilt. */
    public static SynthOptions defaults() {
        return new SynthOptions(64, 512, 3, 0.0, 0.2, 0.3, 3.0, LANGUAGES);
    }

    public SynthOptions {
        if (minSize < 32 || maxSize < minSize || maxSize > 4096) {
            throw new IllegalArgumentException("sizes must satisfy 32 <= min-size <= max-size <= 4096, got "
                    + minSize + " and " + maxSize);
        }
        if (maxShapes < 1 || maxShapes > 3) {
            throw new IllegalArgumentException("max-shapes must be 1, 2 or 3, got " + maxShapes);
        }
        for (double f : new double[] {sketch, jpeg, textured}) {
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("fractions (sketch, jpeg, textured) must be in [0, 1], got " + f);
            }
        }
        if (!(noise >= 0 && noise <= 64)) {
            throw new IllegalArgumentException("noise must be in [0, 64], got " + noise);
        }
        if (languages.isEmpty() || !LANGUAGES.containsAll(languages)) {
            throw new IllegalArgumentException("languages must be some of " + LANGUAGES + ", got " + languages);
        }
        if (!(tilt >= 0 && tilt <= 180)) {
            throw new IllegalArgumentException("tilt must be in [0, 180] degrees, got " + tilt);
        }
        languages = List.copyOf(languages);
    }
}
