package org.mix4j.plugins.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.api.Role;
import org.mix4j.config.EnvExpander;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * The built plugin jar in a host that does not have the plugin's classes (a separate JVM): it
 * installs, lists its three types next to a broken archive, runs the tiny example pipeline, passes {@code testdata/golden/torchscript_block}, and a pipeline
 * file using {@code torchscript:denoiser} validates.
 */
class TorchScriptPluginJarTest {

    @TempDir
    Path dir;

    @Test
    void installedJarListsItsTypesAndVerifiesTheTorchScriptFixture() throws Exception {
        Path plugins = dir.resolve("plugins");
        MixProcess.Result install = MixProcess.run("--plugins-dir", plugins.toString(), "plugins", "install",
                MixProcess.pluginJar().toString());
        assertEquals(0, install.code(), install.out());
        // a broken archive next to it is reported and changes nothing for the plugin
        Files.writeString(plugins.resolve("broken.jar"), "not a jar");

        MixProcess.Result list = MixProcess.run("--plugins-dir", plugins.toString(), "plugins");
        assertTrue(list.out().contains("LOADED  torchscript 0.1.0"), list.out());
        assertTrue(list.out().contains("FAILED  broken.jar  (broken.jar): not a readable plugin archive"), list.out());
        for (String t : List.of("torchscript:encoder", "torchscript:connector", "torchscript:denoiser")) {
            assertTrue(list.out().contains(t), t + " missing:\n" + list.out());
        }

        MixProcess.Result run = MixProcess.run("--plugins-dir", plugins.toString(), "run",
                "examples/tiny-torchscript-llava.yaml", "--image", "../../examples/images/field.png",
                "--prompt", "What is in the picture?", "--stats");
        assertEquals(0, run.code(), run.out());
        assertTrue(run.out().contains(", 16 image tokens"), run.out()); // encoder.pt: 4x4 tokens, kept by the MLP

        Path fixture = TorchScriptBlockTest.FIXTURE;
        MixProcess.Result verify = MixProcess.run("--plugins-dir", plugins.toString(), "verify", fixture.toString());
        assertEquals(0, verify.code(), verify.out());
        assertTrue(verify.out().lines().anyMatch(l -> l.startsWith("PASS") && l.contains("torchscript_block")),
                verify.out());
    }

    /**
     * The example pipelines validate: {@code sd-torchscript-unet.yaml} against a Stable Diffusion
     * folder laid out from the fixtures, the others with their checkpoints absent or bundled.
     */
    @Test
    void exampleGenerationPipelineValidatesWithThePluginInstalled() throws Exception {
        Path plugins = dir.resolve("plugins");
        Files.createDirectories(plugins);
        Files.copy(MixProcess.pluginJar(), plugins.resolve(MixProcess.pluginJar().getFileName()));
        Path golden = TorchScriptBlockTest.FIXTURE.getParent();
        Path sd = Files.createDirectories(dir.resolve("models/stable-diffusion-v1-5"));
        for (String part : List.of("text_encoder", "vae", "scheduler", "model_index.json")) {
            Files.createSymbolicLink(sd.resolve(part), golden.resolve("sd_pipeline").resolve(part).toAbsolutePath());
        }
        Files.createSymbolicLink(sd.resolve("tokenizer"), golden.resolve("clip_tokenizer").toAbsolutePath());

        MixProcess.Result r = MixProcess.runWithModels(dir.resolve("models"), "--plugins-dir", plugins.toString(),
                "validate", Path.of("examples/sd-torchscript-unet.yaml").toAbsolutePath().toString(),
                "examples/understanding-torchscript.yaml", "examples/tiny-torchscript-llava.yaml");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("sd-torchscript-unet.yaml: OK (task generation, 5 components)"), r.out());
        assertTrue(r.out().contains("understanding-torchscript.yaml: OK (task understanding, 4 components)"), r.out());
        assertTrue(r.out().contains("tiny-torchscript-llava.yaml: OK (task understanding, 5 components)"), r.out());

        MixProcess.Result without = MixProcess.runWithModels(dir.resolve("models"), "--plugins-dir",
                dir.resolve("none").toString(), "validate", Path.of("examples/sd-torchscript-unet.yaml").toString());
        assertEquals(1, without.code(), without.out());
        assertTrue(without.out().contains("unknown denoiser type 'torchscript:denoiser'"), without.out());
    }

    /**
     * {@code examples/understanding-torchscript.yaml}: the plugin's sections bind with the jar's
     * classes, to the values the YAML declares.
     */
    @Test
    void exampleUnderstandingPipelinePluginSectionsBind() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(MixProcess.pluginJar(), plugins.resolve(MixProcess.pluginJar().getFileName()));
        PipelineConfig pipeline = PipelineConfig.load(Path.of("examples/understanding-torchscript.yaml"),
                EnvExpander.of(Map.of("MIX_MODELS", dir.resolve("models").toString())));
        try (MixRuntime rt = MixRuntime.start(MixSettings.withPlugins(plugins))) {
            Record encoder = rt.loader().bindConfig(pipeline.component("encoder"), Role.VISION_ENCODER,
                    pipeline.checkpoint());
            Record connector = rt.loader().bindConfig(pipeline.component("connector"), Role.CONNECTOR,
                    pipeline.checkpoint());
            assertEquals("torchscript", rt.registry().pluginOf(encoder.getClass()));
            assertEquals("TorchScriptEncoderConfig[file=encoder.pt, imageSize=336, height=336, width=336, "
                    + "grid=[24, 24], patchSize=null, hiddenSize=1024, prefixTokens=0, input=pixel_values, output=features]", encoder.toString());
            assertEquals("TorchScriptConnectorConfig[file=connector.pt, outputSize=4096, inputSize=1024, "
                    + "outputTokens=null, input=vision_features, output=projected]", connector.toString());
        }
    }
}
