package org.mix4j.data.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.RgbImage;
import org.mix4j.data.DataFixtures;
import org.mix4j.data.records.Sample;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.Pipelines;
import org.mix4j.pipelines.retrieval.RetrievalPipeline;
import org.mix4j.registry.MixSettings;

/**
 * The CLIP score is the retrieval pipeline's own cosine of the pair, and the threshold drops
 * exactly the pairs under it (the tiny random-weight CLIP of the golden fixtures).
 */
class ClipScoreTest {

    static final Path TINY = Path.of("../examples/retrieval/tiny.yaml").toAbsolutePath().normalize();

    static MixRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void scoresAreThePipelinesCosineAndTheThresholdDropsExactlyThoseBelow(@TempDir Path dir) {
        List<String> captions = List.of("a red sun", "a blue square", "two green rings", "a cat", "sky", "一只猫");
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            DataFixtures.png(dir.resolve("p" + i + ".png"), DataFixtures.picture(40 + 8 * i, 32, i));
            samples.add(DataFixtures.pair(dir, "p" + i + ".png", captions.get(i)));
        }
        double[] expected = new double[captions.size()];
        try (NDManager manager = NDManager.newBaseManager();
                RetrievalPipeline p = RetrievalPipeline.load(Pipelines.fromYaml(TINY), runtime.loader(), manager)) {
            for (int i = 0; i < captions.size(); i++) {
                RgbImage image = ImageDecoder.readRgb(dir.resolve("p" + i + ".png"));
                float[] a = p.embedImages(List.of(image))[0];
                float[] b = p.embedText(captions.get(i));
                for (int k = 0; k < a.length; k++) {
                    expected[i] += (double) a[k] * b[k];
                }
            }
        }
        double[] sorted = expected.clone();
        java.util.Arrays.sort(sorted);
        double threshold = (sorted[2] + sorted[3]) / 2; // three below, three above
        assertNotEquals(sorted[2], sorted[3]);
        try (ClipScore rule = new ClipScore(TINY, threshold, runtime.loader())) {
            for (int i = 0; i < captions.size(); i++) {
                RgbImage image = ImageDecoder.readRgb(dir.resolve("p" + i + ".png"));
                assertEquals(expected[i], rule.score(image, captions.get(i)), 1e-6, captions.get(i));
                Rule.Verdict v = rule.apply(samples.get(i), new SampleImages(samples.get(i), new ImageDecoder()));
                assertEquals(expected[i] < threshold, v.dropped(), captions.get(i) + " " + expected[i] + " " + v.reason());
            }
            Sample textOnly = DataFixtures.pair(dir, null, "no picture");
            assertEquals(textOnly, rule.apply(textOnly, new SampleImages(textOnly, new ImageDecoder())).sample());
        }
    }
}
