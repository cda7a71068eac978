package org.mix4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.config.EnvExpander;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.registry.MixSettings;

/**
 * Every pipeline YAML shipped under {@code examples/} and {@code plugins/*}{@code /examples} parses
 * and validates as {@code mix validate} checks it: {@link PipelineConfig#load} then
 * {@link PipelineConfig#validate} against a registry holding every built-in module and both example
 * plugins, loaded from the jars their modules pack. {@code $MIX_MODELS} points at a temp folder:
 * a {@code checkpoint:} not found there is only a warning, as it is for a user without the model, but
 * a component's own {@code weights:} folder is where validate reads its sizes, so the folders the
 * examples name that way hold a stub {@code config.json} (values copied from the real checkpoint's).
 */
class ExampleYamlTest {

    static final Path ROOT = Path.of("..");
    static final List<String> PLUGINS = List.of("torchscript", "pixel-shuffle");

    /** {@code $MIX_MODELS/<folder>/config.json} for the components that name a folder in {@code weights:}. */
    static final Map<String, String> STUB_CONFIGS = Map.of(
            "Qwen2.5-0.5B-Instruct", """
                    {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
                     "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
                     "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936,
                     "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
                     "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645}
                    """,
            "siglip-so400m-patch14-384", """
                    {"architectures": ["SiglipModel"], "model_type": "siglip",
                     "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152, "image_size": 384,
                       "intermediate_size": 4304, "num_attention_heads": 16, "num_hidden_layers": 27,
                       "patch_size": 14}}
                    """);

    @TempDir
    static Path dir;

    private static MixRuntime runtime;
    private static EnvExpander env;

    @BeforeAll
    static void start() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        for (String id : PLUGINS) {
            Path jar = GoldenSuiteTest.pluginJar(ROOT.resolve("plugins").resolve(id).resolve("target"), id);
            Files.copy(jar, plugins.resolve(jar.getFileName()));
        }
        runtime = MixRuntime.start(MixSettings.withPlugins(plugins));
        Path models = Files.createDirectories(dir.resolve("models"));
        for (Map.Entry<String, String> e : STUB_CONFIGS.entrySet()) {
            Files.writeString(Files.createDirectories(models.resolve(e.getKey())).resolve("config.json"), e.getValue());
        }
        env = EnvExpander.of(Map.of("MIX_MODELS", models.toString()));
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    /**
     * The shipped pipeline files, sorted; the folders holding golden fixtures and build output excluded,
     * {@code mix serve} YAMLs (a {@code models:} key at the top, no {@code task:}), which mix-serve's
     * ServeConfigTest loads, and the {@code mix data filter} rules files of {@code examples/data/}
     * (DataCommandTest in mix-cli runs them).
     */
    static List<Path> exampleFiles() throws IOException {
        List<Path> roots = Stream.concat(Stream.of(ROOT.resolve("examples")),
                PLUGINS.stream().map(id -> ROOT.resolve("plugins").resolve(id).resolve("examples"))).toList();
        List<Path> files = new java.util.ArrayList<>();
        for (Path root : roots) {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                        .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/src/"))
                        .filter(p -> !serverYaml(p))
                        .filter(p -> !p.startsWith(ROOT.resolve("examples/data")))
                        .forEach(files::add);
            }
        }
        files.sort(null);
        return files;
    }

    private static boolean serverYaml(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return lines.stream().anyMatch(l -> l.startsWith("models:")) && lines.stream().noneMatch(l -> l.startsWith("task:"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void findsTheExamplesOfBothPlugins() throws IOException {
        List<String> names = exampleFiles().stream().map(p -> p.getFileName().toString()).toList();
        assertTrue(names.contains("siglip-resampler-qwen2.yaml"), names.toString());
        assertTrue(names.contains("tiny-pixel-shuffle-llava.yaml"), names.toString());
        assertTrue(names.contains("understanding-torchscript.yaml"), names.toString());
        assertTrue(names.contains("tiny-text.yaml") && !names.contains("demo.yaml"), names.toString());
    }

    @Test
    void bothExamplePluginsAreLoaded() {
        assertEquals(List.of("pixel-shuffle", "torchscript"), runtime.registry().pluginManager().getStartedPlugins().stream()
                .map(p -> p.getPluginId()).sorted().toList());
    }

    @TestFactory
    Stream<DynamicTest> everyExampleParsesAndValidates() throws IOException {
        return exampleFiles().stream().map(file -> DynamicTest.dynamicTest(ROOT.relativize(file).toString(),
                file.toUri(), () -> {
                    PipelineConfig config;
                    try {
                        config = PipelineConfig.load(file, env);
                    } catch (RuntimeException e) {
                        throw new AssertionError(file + " does not load: " + e.getMessage(), e);
                    }
                    PipelineConfig.Validation v = config.validate(runtime.loader());
                    if (!v.ok()) {
                        fail(file + " does not validate:\n" + v.errors().stream().map(Throwable::getMessage)
                                .collect(Collectors.joining("\n")));
                    }
                }));
    }
}
