package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageModesTest {

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    @Test
    void grayIsReplicatedToThreeChannels() {
        assertArrayEquals(bytes(0, 0, 0, 128, 128, 128, 255, 255, 255),
                ImageModes.toRgb("L", 3, 1, bytes(0, 128, 255), null).pixels());
    }

    @Test
    void rgbaAndLaDropAlphaWithoutCompositing() {
        // a fully transparent red pixel stays red: PIL's convert("RGB") ignores alpha
        assertArrayEquals(bytes(255, 0, 0, 10, 20, 30),
                ImageModes.toRgb("RGBA", 2, 1, bytes(255, 0, 0, 0, 10, 20, 30, 128), null).pixels());
        assertArrayEquals(bytes(77, 77, 77), ImageModes.toRgb("LA", 1, 1, bytes(77, 0), null).pixels());
    }

    @Test
    void paletteIndicesAreLookedUpAndMissingEntriesUseTheGrayRamp() {
        byte[] palette = bytes(10, 20, 30, 40, 50, 60);
        assertArrayEquals(bytes(40, 50, 60, 10, 20, 30, 9, 9, 9),
                ImageModes.toRgb("P", 3, 1, bytes(1, 0, 9), palette).pixels());
    }

    /** libImaging cmyk2rgb: channel = (255 - k) - round((255 - k) * c / 255). */
    @Test
    void cmykFollowsPilsIntegerFormula() {
        byte[] rgb = ImageModes.toRgb("CMYK", 3, 1, bytes(0, 0, 0, 0, 255, 128, 0, 0, 0, 0, 0, 255), null).pixels();
        assertArrayEquals(bytes(255, 255, 255, 0, 127, 255, 0, 0, 0), rgb);
    }

    @Test
    void wrongByteCountOrUnknownModeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageModes.toRgb("RGB", 2, 2, new byte[11], null));
        assertTrue(e.getMessage().contains("12 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageModes.toRgb("YCbCr", 1, 1, new byte[3], null));
        assertThrows(IllegalArgumentException.class, () -> ImageModes.toRgb("P", 1, 1, new byte[1], null));
    }
}
