package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.config.ConfigException;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyCheckpoint;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.TextSettings;
import org.mix4j.registry.MixSettings;
import picocli.CommandLine;

/** Flags become overrides of the pipeline's tree; {@code run} and {@code chat} build one pipeline. */
class SettingFlagsTest {

    private static MixRuntime runtime;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        runtime = MixRuntime.start(MixSettings.builtInOnly());
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        Path resources = TestData.resource("tiny-chat");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(resources.resolve(f), dir.resolve(f));
        }
        TinyCheckpoint.write(dir, Files.readString(resources.resolve("config.json")), 21);
    }

    private PipelineConfig run(String... args) {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs(args);
        return run.config(runtime.registry());
    }

    private PipelineConfig chat(String... args) {
        ChatCommand chat = new ChatCommand();
        new CommandLine(chat).parseArgs(args);
        return chat.options.config(runtime.registry());
    }

    @Test
    void runAndChatOnAModelDirectoryBuildTheSamePipeline() {
        String model = dir.toString();
        PipelineConfig run = run("--model", model, "--prompt", "Hi", "--max-new-tokens", "3", "--temperature", "0.5",
                "--seed", "7");
        PipelineConfig chat = chat("--model", model, "--max-new-tokens", "3", "--temperature", "0.5", "--seed", "7");
        assertEquals(run.root(), chat.root(), "the same tree, origins included");
        assertEquals(run, chat);
        DecodingSettings s = run.settings(TextSettings.class).generation();
        assertEquals(3, s.maxNewTokens());
        assertEquals(7, s.seed());
        assertTrue(s.sampling());
        assertEquals(run(("--model " + model + " --prompt Hi").split(" ")), chat("--model", model),
                "without flags too");
    }

    @Test
    void aRunFlagsBadValueIsReportedAsTheFlag() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> run("--model", dir.toString(), "--prompt", "Hi", "--max-new-tokens", "-1"));
        assertEquals("--max-new-tokens", e.file());
        assertTrue(e.getMessage().startsWith("--max-new-tokens: generation.max_new_tokens: "), e.getMessage());
        ConfigException t = assertThrows(ConfigException.class, () -> chat("--model", dir.toString(), "--temperature", "-2"));
        assertTrue(t.getMessage().startsWith("--temperature: generation.temperature: "), t.getMessage());
    }

    @Test
    void aFlagTheTaskHasNoUseForIsRefused() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> run("--model", dir.toString(), "--prompt", "Hi", "--steps", "5"));
        assertTrue(e.getMessage().startsWith("--steps: applies to task 'generation'"), e.getMessage());
    }

    @Test
    void printConfigWritesTheFlagsIntoYamlThatReadsBack() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Mix.run(new String[] {"run", "--model", dir.toString(), "--max-new-tokens", "4", "--print-config"},
                new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        Path yaml = dir.resolve("printed.yaml");
        Files.writeString(yaml, out.toString());
        PipelineConfig printed = run(yaml.toString(), "--prompt", "Hi");
        assertEquals(4, printed.settings(TextSettings.class).generation().maxNewTokens());
        PipelineConfig direct = run("--model", dir.toString(), "--prompt", "Hi", "--max-new-tokens", "4");
        assertEquals(direct.settings(), printed.settings());
        assertEquals(direct.component("llm").type(), printed.component("llm").type());
        assertEquals(dir.toAbsolutePath().normalize(), printed.checkpoint());
    }

    @Test
    void aDeviceFlagIsCheckedLikeTheKey() {
        assertEquals(ai.djl.Device.cpu(), chat("--model", dir.toString(), "--device", "cpu").device());
        if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> run("--model", dir.toString(), "--prompt", "Hi", "--device", "cuda:0"));
            assertTrue(e.getMessage().startsWith("--device: device: 'cuda:0' is not available"), e.getMessage());
        }
    }
}
