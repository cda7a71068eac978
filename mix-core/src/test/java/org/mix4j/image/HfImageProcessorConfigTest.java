package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.config.ConfigBinder;
import org.mix4j.config.ConfigException;
import org.mix4j.config.JsonConfig;
import org.mix4j.image.HfImageProcessorConfig.ProcessorClass;
import org.mix4j.registry.MixSettings;

class HfImageProcessorConfigTest {

    @TempDir
    Path tmp;

    static HfImageProcessorConfig bind(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        return ConfigBinder.bind(HfImageProcessorConfig.class, null, JsonConfig.toNode(o, "preprocessor_config.json"),
                "processor", Set.of());
    }

    @Test
    void olderClipConfigsWithIntSizesMeanShortestEdgeAndSquareCrop() {
        HfImageProcessorConfig c = bind("{\"feature_extractor_type\": \"CLIPFeatureExtractor\", \"size\": 224,"
                + " \"crop_size\": 224, \"resample\": 3}");
        assertEquals(ProcessorClass.CLIP, c.processorClass());
        assertEquals(SizeSpec.shortestEdge(224), c.sizeSpec());
        assertEquals(SizeSpec.exact(224, 224), c.cropSpec());
    }

    @Test
    void dictAndListSizesAreReadAsTransformersDoes() {
        HfImageProcessorConfig c = bind("{\"size\": {\"shortest_edge\": 336}, \"crop_size\": {\"height\": 300,"
                + " \"width\": 200}}");
        assertEquals(336, c.sizeSpec().shortestEdge());
        assertEquals(SizeSpec.exact(300, 200), c.cropSpec());
        assertEquals(SizeSpec.exact(30, 40), bind("{\"size\": [30, 40]}").sizeSpec());
    }

    @Test
    void classDefaultsApplyWhenKeysAreAbsent() {
        HfImageProcessorConfig clip = bind("{}");
        assertEquals(SizeSpec.shortestEdge(224), clip.sizeSpec());
        assertTrue(clip.centerCrop());
        assertEquals(Resample.BICUBIC, clip.filter());
        assertEquals(0.48145466f, clip.mean()[0]);
        assertEquals(1 / 255.0, clip.rescaleFactor());
        HfImageProcessorConfig siglip = bind("{\"image_processor_type\": \"SiglipImageProcessor\"}");
        assertEquals(SizeSpec.exact(224, 224), siglip.sizeSpec());
        assertFalse(siglip.centerCrop());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, siglip.std());
        assertFalse(siglip.convertRgb());
    }

    @Test
    void invalidValuesFailNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> bind("{\"image_processor_type\": \"SiglipImageProcessor\", \"size\": 384}"));
        assertTrue(e.getMessage().contains("height"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> bind("{\"image_processor_type\": \"BeitImageProcessor\"}"));
        assertTrue(e.getMessage().contains("SiglipImageProcessor"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> bind("{\"size\": {\"hieght\": 3, \"width\": 4}}"));
        assertTrue(e.getMessage().contains("size"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> bind("{\"resample\": 7}"));
        assertTrue(e.getMessage().contains("bicubic"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> bind("{\"image_std\": [0.5, 0, 0.5]}"));
        assertTrue(e.getMessage().contains("image_std"), e.getMessage());
    }

    @Test
    void shortestEdgeResizeTruncatesTheLongEdge() {
        HfImageProcessor p = new HfImageProcessor(bind("{\"size\": {\"shortest_edge\": 32}}"));
        assertArrayEquals(new int[] {32, 45}, p.resizeTarget(37, 53)); // int(32 * 53 / 37) = int(45.84)
        assertArrayEquals(new int[] {206, 32}, p.resizeTarget(200, 31)); // int(32 * 200 / 31) = int(206.45)
        assertArrayEquals(new int[] {224, 224}, p.outputSize());
    }

    /** One normalised value, by the reference's float32 order of operations. */
    @Test
    void rescaleAndNormalizeMatchFloat32Arithmetic() {
        HfImageProcessor p = new HfImageProcessor(bind("{\"do_resize\": false, \"do_center_crop\": false,"
                + " \"image_mean\": 0.25, \"image_std\": [0.5, 0.5, 0.125]}"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = p.preprocess(List.of(ImageOps.canvas(2, 1, 51, 0, 255)), m);
            assertEquals(new Shape(1, 3, 1, 2), out.getShape());
            float[] v = out.toFloatArray();
            assertEquals(((float) (51 / 255.0) - 0.25f) / 0.5f, v[0]);
            assertEquals((0f - 0.25f) / 0.5f, v[2]);
            assertEquals(((float) (255 / 255.0) - 0.25f) / 0.125f, v[4]);
        }
    }

    @Test
    void loadsFromAPreprocessorConfigFileThroughTheRegistry() throws Exception {
        Files.writeString(tmp.resolve("preprocessor_config.json"), "{\"image_processor_type\": \"SiglipImageProcessor\","
                + " \"size\": {\"height\": 8, \"width\": 6}, \"resample\": 2, \"processor_class\": \"SiglipProcessor\"}");
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly()); NDManager m = NDManager.newBaseManager()) {
            ImageProcessor p = runtime.loader().load("hf_image_processor", Role.IMAGE_PROCESSOR, tmp,
                    Map.of("do_normalize", false), m, DataType.FLOAT32);
            assertArrayEquals(new int[] {8, 6}, p.outputSize());
            RgbImage image = ResamplerTest.random(20, 9, 3);
            NDArray pixels = p.preprocess(List.of(image, image), m);
            assertEquals(new Shape(2, 3, 8, 6), pixels.getShape());
            RgbImage resized = Resampler.resize(image, 6, 8, Resample.BILINEAR);
            assertEquals((float) (resized.get(5, 7, 2) / 255.0), pixels.getFloat(1, 2, 7, 5));
        }
    }
}
