package org.mix4j.image;

import java.util.Arrays;
import java.util.Locale;

/**
 * Pillow's resampling filters, with the integer codes of {@code PIL.Image.Resampling} that
 * {@code preprocessor_config.json} stores under {@code resample}. The kernels follow
 * {@code libImaging/Resample.c}; {@link #support()} is the kernel radius at scale 1.
 */
public enum Resample {
    NEAREST(0, 0.0),
    LANCZOS(1, 3.0),
    BILINEAR(2, 1.0),
    BICUBIC(3, 2.0),
    BOX(4, 0.5),
    HAMMING(5, 1.0);

    private final int pilCode;
    private final double support;

    Resample(int pilCode, double support) {
        this.pilCode = pilCode;
        this.support = support;
    }

    /** The value of {@code PIL.Image.Resampling}. */
    public int pilCode() {
        return pilCode;
    }

    /** Kernel radius in input pixels before Pillow widens it for downscaling. */
    public double support() {
        return support;
    }

    /** The filter with PIL code {@code code} (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming). */
    public static Resample fromPilCode(long code) {
        for (Resample r : values()) {
            if (r.pilCode == code) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown PIL resample code " + code + "; valid: "
                + Arrays.stream(values()).map(r -> r.pilCode + " (" + r.displayName() + ")").toList());
    }

    /** A filter given as a PIL code ({@code 3}) or a name ({@code bicubic}, {@code antialias} = lanczos). */
    public static Resample parse(Object value) {
        if (value instanceof Number n) {
            if (n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException("resample must be an integer PIL code, got " + value);
            }
            return fromPilCode(n.longValue());
        }
        String name = String.valueOf(value).trim().toUpperCase(Locale.ROOT);
        if (name.matches("\\d+")) {
            return fromPilCode(Long.parseLong(name));
        }
        if (name.equals("ANTIALIAS")) {
            return LANCZOS;
        }
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown resample filter '" + value + "'; valid: "
                    + Arrays.stream(values()).map(r -> r.displayName() + " (" + r.pilCode + ")").toList(), e);
        }
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kernel at distance {@code x} (in input pixels at scale 1), in double as Pillow computes it. */
    double kernel(double x) {
        switch (this) {
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR:
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            case HAMMING:
                x = Math.abs(x);
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                // Pillow writes the window's constants as C floats, promoted to double
                return Math.sin(x) / x * ((double) 0.54f + (double) 0.46f * Math.cos(x));
            case BICUBIC:
                return bicubic(Math.abs(x));
            case LANCZOS:
                return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
            default:
                throw new IllegalStateException(this + " has no convolution kernel");
        }
    }

    /** Keys' cubic convolution with a = -0.5, written in Pillow's operation order. */
    private static double bicubic(double x) {
        final double a = -0.5;
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }
}
