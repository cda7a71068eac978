package org.mix4j.pipelines.retrieval;

/**
 * IEEE 754 binary16 conversions (Java 17 has no {@code Float.floatToFloat16}): round to nearest,
 * ties to even, with subnormals, infinities and NaN, as numpy's and PyTorch's {@code half()}.
 */
public final class Fp16 {

    private Fp16() {}

    /** The binary16 bits nearest to {@code value}. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fff_ffff;
        if (magnitude >= 0x7f80_0000) { // Inf or NaN (keep NaN quiet and non-zero)
            return (short) (sign | 0x7c00 | (magnitude > 0x7f80_0000 ? 0x0200 | ((magnitude >>> 13) & 0x3ff) : 0));
        }
        if (magnitude >= 0x477f_f000) { // rounds to >= 65520: overflow to infinity
            return (short) (sign | 0x7c00);
        }
        if (magnitude < 0x3880_0000) { // below 2^-14: a binary16 subnormal (or zero)
            if (magnitude < 0x3300_0000) { // below 2^-25: rounds to zero (exactly 2^-25 is a tie to 0)
                return (short) sign;
            }
            int exponent = magnitude >>> 23;
            int mantissa = (magnitude & 0x7f_ffff) | 0x80_0000;
            int shift = 126 - exponent; // value = mantissa * 2^(exponent - 150); unit is 2^-24
            return (short) (sign | roundShift(mantissa, shift));
        }
        // normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits
        int rebased = magnitude - (112 << 23);
        return (short) (sign | roundShift(rebased, 13));
    }

    /** The float value of binary16 {@code bits} (exact). */
    public static float toFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mantissa << 13));
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float v = mantissa * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** {@code value >> shift}, rounded to nearest with ties to even. */
    private static int roundShift(int value, int shift) {
        int truncated = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (truncated & 1) == 1)) {
            truncated++; // a carry into the exponent field is the correct next binade
        }
        return truncated;
    }
}
