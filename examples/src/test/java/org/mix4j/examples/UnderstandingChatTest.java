package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mix4j.MixRuntime;
import org.mix4j.api.RgbImage;
import org.mix4j.cli.Mix;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.chat.ChatSession;
import org.mix4j.pipelines.chat.ChatSession.Reply;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline.Request;
import org.mix4j.registry.MixSettings;

/** Chat with images on the bundled tiny LLaVA: the session API and {@code mix chat}. */
class UnderstandingChatTest {

    static final Path EXAMPLES = UnderstandingPipelineTest.EXAMPLES;
    static final Path YAML = EXAMPLES.resolve("understanding/tiny-llava.yaml");
    static final Path IMAGE = UnderstandingPipelineTest.IMAGE;

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

    @Test
    void theFirstTurnAnswersAsRunDoesAndLaterTurnsReuseTheImageFromTheCache() {
        try (UnderstandingPipeline p = UnderstandingPipeline.load(PipelineConfig.load(YAML), runtime.loader(), manager)) {
            RgbImage image = ImageDecoder.readRgb(IMAGE);
            DecodingSettings greedy = new DecodingSettings(5, 0, 0, 1, 1, 0, List.of(), List.of(), false);
            DecodeResult alone = p.answer(List.of(new Request(List.of(image), "what is this ?")), greedy, null);
            try (ChatSession chat = p.chat(greedy, 256)) {
                Reply first = chat.send("what is this ?", List.of(image), null, () -> false);
                assertArrayEquals(alone.tokens().get(0), first.result().tokens().get(0), "same answer as mix run");
                int imageTokens = p.vision().tokens(image.width(), image.height());
                Reply second = chat.send("and the colour ?", null);
                assertTrue(second.result().reusedPromptTokens() > imageTokens,
                        "the image's " + imageTokens + " positions come from the cache: reused "
                                + second.result().reusedPromptTokens());
                Reply third = chat.send("again", List.of(image), null, () -> false);
                assertTrue(third.result().promptTokens() > second.result().promptTokens() + imageTokens,
                        "a second image adds its tokens");
                assertEquals(3, chat.turns().size());
            }
        }
    }

    @Test
    void mixChatTakesImagesOnTheCommandLineAndWithSlashImage() {
        InputStream stdin = System.in;
        try {
            String lines = "what is this ?\n/image " + IMAGE + "\ncompare them\n/image /no/such.png\n/exit\n";
            System.setIn(new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Mix.run(new String[] {"chat", YAML.toString(), "--image", IMAGE.toString(), "--stats"},
                    new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(0, code, err.toString());
            assertTrue(err.toString().contains("goes with your next message"), err.toString());
            assertTrue(err.toString().contains("reused from the cache"), err.toString());
            assertTrue(err.toString().contains("/no/such.png"), "a bad image is named and the chat goes on: " + err);
        } finally {
            System.setIn(stdin);
        }
    }
}
