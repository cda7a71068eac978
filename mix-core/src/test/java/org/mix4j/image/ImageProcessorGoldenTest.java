package org.mix4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mix4j.MixRuntime;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.golden.CaseResult;
import org.mix4j.golden.GoldenCase;
import org.mix4j.golden.GoldenVerifier;
import org.mix4j.registry.MixSettings;

/**
 * The {@code image_processor} golden fixtures, run here with mix-core alone: through the
 * registered runner (as the full golden suite does), and from the PNG files through
 * {@link ImageDecoder}, which must give the same pixels as the arrays.
 */
class ImageProcessorGoldenTest {

    private static MixRuntime runtime;
    private static NDManager manager;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        runtime.close();
    }

    static List<GoldenCase> cases() {
        String dirs = System.getProperty("mix.golden.dir", "../testdata/golden");
        List<Path> roots = Arrays.stream(dirs.split(File.pathSeparator)).map(Path::of).toList();
        List<GoldenCase> cases = GoldenVerifier.discover(roots).stream()
                .filter(c -> c.kind().equals("image_processor")).toList();
        assertFalse(cases.isEmpty(), "no image_processor fixture under " + roots);
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> imageProcessorCasesPassThroughTheRegisteredRunner() {
        GoldenVerifier verifier = GoldenVerifier.fromRegistry(runtime.registry());
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CaseResult r = verifier.run(c, manager);
            System.out.println(r.line());
            assertEquals(CaseResult.Status.PASS, r.status(), r.line());
        }));
    }

    @TestFactory
    Stream<DynamicTest> pngFilesDecodeToTheArrayPixels() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (NDManager m = manager.newSubManager()) {
                List<RgbImage> fromArrays = ImageProcessorCaseRunner.images(c, m);
                List<RgbImage> fromPng = pngImages(c);
                assertEquals(fromArrays.size(), fromPng.size());
                for (int i = 0; i < fromPng.size(); i++) {
                    assertTrue(ImageOps.samePixels(fromArrays.get(i), fromPng.get(i)), c.name() + " image " + i);
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> decodedPngsPreprocessToTheReferenceUint8Pixels() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (NDManager m = manager.newSubManager()) {
                ImageProcessor p = runtime.loader().load("hf_image_processor", Role.IMAGE_PROCESSOR, c.dir(),
                        ImageProcessorCaseRunner.overrides(c, c.json().get("processor_class").getAsString()), m,
                        ai.djl.ndarray.types.DataType.FLOAT32);
                List<RgbImage> resized = new ArrayList<>();
                for (RgbImage image : pngImages(c)) {
                    resized.add(p.resizeAndCrop(image));
                }
                NDArray expected = c.tensor("pixel_values_uint8", m);
                NDArray actual = ImageProcessorCaseRunner.uint8Batch(resized, m);
                assertEquals(expected.getShape(), actual.getShape());
                assertArrayEquals(expected.toByteArray(), actual.toByteArray());
            }
        }));
    }

    private static List<RgbImage> pngImages(GoldenCase c) {
        List<RgbImage> out = new ArrayList<>();
        for (JsonElement e : c.json().getAsJsonArray("images")) {
            JsonObject spec = e.getAsJsonObject();
            out.add(ImageDecoder.readRgb(c.file(spec.get("png").getAsString())));
        }
        return out;
    }
}
