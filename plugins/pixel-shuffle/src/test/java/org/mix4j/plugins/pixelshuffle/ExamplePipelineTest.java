package org.mix4j.plugins.pixelshuffle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Connector;
import org.mix4j.api.Role;
import org.mix4j.api.TokenGrid;
import org.mix4j.config.EnvExpander;
import org.mix4j.pipeline.ComponentSpec;
import org.mix4j.pipeline.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * {@code examples/internvl2-connector-clip-qwen2.yaml}: its connector section, with the plugin
 * loaded from the built jar, takes its sizes from an InternVL {@code config.json} and loads that
 * checkpoint's {@code mlp1.*} tensors. (The other sections are built-in types; {@code mix validate}
 * checks them in a host that has them.)
 */
class ExamplePipelineTest {

    @TempDir
    Path dir;

    @Test
    void connectorSectionBindsAndLoadsFromAnInternVlCheckpoint() throws IOException {
        Path models = dir.resolve("models");
        PixelShuffleFixture.write(models.resolve("InternVL2-1B")); // an InternVL config.json and mlp1.* weights
        PipelineConfig pipeline = PipelineConfig.load(Path.of("examples/internvl2-connector-clip-qwen2.yaml"),
                EnvExpander.of(Map.of("MIX_MODELS", models.toString())));
        ComponentSpec section = pipeline.component("connector");
        assertEquals("pixel-shuffle:pixel_shuffle", section.type());

        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(MixProcess.pluginJar(), plugins.resolve(MixProcess.pluginJar().getFileName()));
        try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins)); NDManager m = NDManager.newBaseManager()) {
            Record config = rt.loader().bindConfig(section, Role.CONNECTOR, pipeline.checkpoint());
            assertEquals("pixel-shuffle", rt.registry().pluginOf(config.getClass()), "bound by the jar's classes");
            assertEquals("PixelShuffleConfig[visionHiddenSize=" + PixelShuffleFixture.DV + ", llmHiddenSize="
                    + PixelShuffleFixture.DLLM + ", downsampleRatio=0.5, psVersion=V2, dropCls=true, layerNormEps=1.0E-5]",
                    config.toString());
            try (Connector c = rt.loader().load(section, Role.CONNECTOR, pipeline.checkpoint(), m, DataType.FLOAT32)) {
                // CLIP ViT-L/14-336 with select: full: 24x24 patches and CLS -> 144 tokens
                assertEquals(144, c.outputTokens(new TokenGrid(24, 24, 1)));
                assertEquals(PixelShuffleFixture.DLLM, c.outputSize());
            }
        }
    }
}
