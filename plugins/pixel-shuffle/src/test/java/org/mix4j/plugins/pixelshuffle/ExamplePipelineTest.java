package org.mix4j.plugins.pixelshuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentSpec;
import org.mix4j.config.EnvExpander;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * The plugin's example pipelines with the plugin loaded from the built jar: the InternVL composition
 * binds its connector section over an InternVL {@code config.json}, and the tiny one runs.
 */
class ExamplePipelineTest {

    @TempDir
    Path dir;

    @Test
    void internVlExampleConnectorSectionBindsWithTheJarClasses() throws IOException {
        Path models = dir.resolve("models");
        Path internvl = PixelShuffleFixture.write(models.resolve("InternVL2-1B")); // an InternVL config.json
        Files.writeString(internvl.resolve("config.json"), Files.readString(internvl.resolve("config.json"))
                .replace("\"ps_version\": \"v2\"", "\"ps_version\": \"v1\""));
        PipelineConfig pipeline = PipelineConfig.load(Path.of("examples/internvl2-connector-clip-qwen2.yaml"),
                EnvExpander.of(Map.of("MIX_MODELS", models.toString())));
        ComponentSpec section = pipeline.component("connector");
        assertEquals("pixel-shuffle:pixel_shuffle", section.type());

        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(MixProcess.pluginJar(), plugins.resolve(MixProcess.pluginJar().getFileName()));
        try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins))) {
            Record config = rt.loader().bindConfig(section, Role.CONNECTOR, pipeline.checkpoint());
            assertEquals("pixel-shuffle", rt.registry().pluginOf(config.getClass()), "bound by the jar's classes");
            // the YAML's sizes win over the checkpoint's; what the YAML leaves out comes from its config.json
            assertEquals("PixelShuffleConfig[visionHiddenSize=1024, llmHiddenSize=896, downsampleRatio=0.5, "
                    + "psVersion=V1, dropCls=true, layerNormEps=1.0E-5]", config.toString());
        }
    }

    @Test
    void tinyExampleRunsAndValidatesInTheDistribution() throws Exception {
        Path plugins = dir.resolve("plugins");
        assertEquals(0, MixProcess.run("--plugins-dir", plugins.toString(), "plugins", "install",
                MixProcess.pluginJar().toString()).code());
        MixProcess.Result run = MixProcess.run("--plugins-dir", plugins.toString(), "run",
                "examples/tiny-pixel-shuffle-llava.yaml", "--image", "../../examples/images/field.png",
                "--prompt", "What is in the picture?", "--stats");
        assertEquals(0, run.code(), run.out());
        // 4x4 CLIP patches, pixel-shuffled by 0.5: 4 image tokens
        assertTrue(run.out().contains(", 4 image tokens"), run.out());

        MixProcess.Result validate = MixProcess.runWithModels(dir.resolve("no-models"), "--plugins-dir",
                plugins.toString(), "validate", "examples/tiny-pixel-shuffle-llava.yaml",
                "examples/internvl2-connector-clip-qwen2.yaml");
        assertEquals(0, validate.code(), validate.out());
        assertTrue(validate.out().contains("tiny-pixel-shuffle-llava.yaml: OK (task understanding, 5 components)")
                && validate.out().contains("internvl2-connector-clip-qwen2.yaml: OK (task understanding, 5 components)"),
                validate.out());
    }
}
