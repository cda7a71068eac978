package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.mix4j.api.RgbImage;

class ImageOpsTest {

    @Test
    void cropReachingOutsideTheImageIsBlackThere() {
        RgbImage image = ImageOps.canvas(2, 2, 9, 9, 9);
        RgbImage crop = ImageOps.crop(image, 1, -1, 3, 2);
        assertEquals(0, crop.get(0, 0, 0));
        assertEquals(9, crop.get(0, 1, 1));
        assertEquals(0, crop.get(1, 1, 2));
    }

    @Test
    void pastePlacesTheImageAtItsOffsetAndClipsAtTheEdges() {
        RgbImage out = ImageOps.paste(ImageOps.canvas(4, 3, 1, 2, 3), ImageOps.canvas(2, 2, 200, 200, 200), 3, 2);
        assertEquals(200, out.get(3, 2, 0));
        assertEquals(1, out.get(2, 2, 0));
        assertEquals(3, out.get(3, 1, 2));
    }

    @Test
    void padSurroundsTheImageWithTheBackgroundColor() {
        RgbImage out = ImageOps.pad(ImageOps.canvas(1, 1, 50, 60, 70), 3, 2, 1, 1, 0, 0, 255);
        assertEquals(50, out.get(1, 1, 0));
        assertEquals(255, out.get(0, 0, 2));
        assertEquals(255, out.get(2, 1, 2));
    }

    /** transformers center_crop: top = (h - ch) // 2; a smaller image is centered with ceil((ch - h) / 2) above. */
    @Test
    void centerCropFollowsTransformersForLargerAndSmallerImages() {
        RgbImage image = ramp(5, 5);
        RgbImage crop = ImageOps.centerCrop(image, 2, 2); // top = left = (5 - 2) // 2 = 1
        assertEquals(image.get(1, 1, 0), crop.get(0, 0, 0));
        RgbImage small = ramp(4, 3);
        RgbImage padded = ImageOps.centerCrop(small, 5, 7); // pad top ceil(2/2) = 1, left ceil(3/2) = 2
        assertEquals(0, padded.get(1, 0, 0));
        assertEquals(small.get(0, 0, 0), padded.get(2, 1, 0));
        assertEquals(small.get(3, 2, 0), padded.get(5, 3, 0));
        assertEquals(0, padded.get(6, 4, 0));
    }

    private static RgbImage ramp(int w, int h) {
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            px[3 * i] = (byte) (i + 1);
        }
        return new RgbImage(w, h, px);
    }
}
