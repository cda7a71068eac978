package org.mix4j.data.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.data.DataFixtures;
import org.mix4j.data.records.Sample;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.Pipelines;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.registry.MixSettings;

class TaggerTest {

    static final Path TINY_LLAVA = Path.of("../examples/understanding/tiny-llava.yaml").toAbsolutePath().normalize();

    @Test
    void answersSplitIntoCleanDistinctTags() {
        assertEquals(List.of("red sun", "sky", "天空", "ocean"),
                Tagger.parse("1. Red sun, sky，天空、 sky\n- ocean.", 10));
        assertEquals(List.of("a", "b"), Tagger.parse("a, b, c", 2));
        assertEquals(List.of(), Tagger.parse(" , ", 3));
    }

    @Test
    void tagsAreTheModelsAnswerToThePromptAboutTheFirstImage(@TempDir Path dir) {
        DataFixtures.png(dir.resolve("a.png"), DataFixtures.picture(48, 40, 3));
        Sample s = DataFixtures.pair(dir, "a.png", "a picture");
        String prompt = "Tags?";
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly())) {
            String answer;
            try (NDManager manager = NDManager.newBaseManager();
                    UnderstandingPipeline p = UnderstandingPipeline.load(Pipelines.fromYaml(TINY_LLAVA), runtime.loader(),
                            manager)) {
                answer = p.answer(List.of(ImageDecoder.readRgb(dir.resolve("a.png"))), prompt, (row, t) -> {}).texts().get(0);
            }
            try (Tagger tagger = new Tagger(TINY_LLAVA, prompt, 5, runtime.loader())) {
                Sample tagged = tagger.apply(s);
                JsonArray expected = new JsonArray();
                Tagger.parse(answer, 5).forEach(expected::add);
                assertEquals(expected, tagged.extraObject().get("tags"), answer);
                assertEquals(s.turns(), tagged.turns());
                Sample noImage = DataFixtures.pair(dir, null, "text");
                assertSame(noImage, tagger.apply(noImage));
                assertEquals(1, tagger.tagged());
                assertEquals(1, tagger.untagged());
                assertFalse(tagged.extraObject().get("id").isJsonNull());
            }
        }
    }
}
