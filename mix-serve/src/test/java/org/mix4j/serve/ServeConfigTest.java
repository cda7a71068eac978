package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.config.ConfigException;

class ServeConfigTest {

    @TempDir
    Path dir;

    @Test
    void demoYamlServesTheTinyModelsWithPathsFromItsFolder() {
        ServeConfig c = ServeConfig.load(TinyServer.DEMO);
        assertEquals("127.0.0.1", c.host());
        assertEquals(List.of("tiny-llama", "tiny-llava", "tiny-clip", "tiny-sd"), List.copyOf(c.models().keySet()));
        assertEquals(TinyServer.ROOT.resolve("examples/understanding/tiny-llava.yaml"), c.models().get("tiny-llava").pipeline());
        assertTrue(Files.isRegularFile(c.models().get("tiny-llama").pipeline()));
        assertEquals(64L * 1024 * 1024, c.memoryBudgetBytes());
        assertEquals(256, c.limits().maxTokens());
    }

    @Test
    void defaultsListenOnLoopbackWithoutKeysOrBudget() throws IOException {
        ServeConfig c = ServeConfig.load(write("models: { m: { model: ckpt } }\n"));
        assertEquals("127.0.0.1", c.host());
        assertEquals(8000, c.port());
        assertEquals(List.of(), c.apiKeys());
        assertEquals(Long.MAX_VALUE, c.memoryBudgetBytes());
        assertEquals(dir.resolve("ckpt"), c.models().get("m").model());
        assertEquals(16, c.limits().queuePerModel());
    }

    @Test
    void rejectsUnknownKeyWithFileLineAndValidKeys() throws IOException {
        Path file = write("port: 8000\nmodels: { m: { model: ckpt } }\nlimits:\n  max_token: 5\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(file));
        assertEquals(4, e.line());
        assertEquals("limits.max_token", e.keyPath());
        assertTrue(e.getMessage().startsWith(file.toString() + ":4:"), e.getMessage());
        assertTrue(e.validKeys().contains("max_tokens"), e.getMessage());
    }

    @Test
    void batchingDefaultsToFourSlotsAndRejectsANegativeCount() throws IOException {
        ServeConfig.Limits defaults = ServeConfig.load(write("models: { m: { model: ckpt } }\n")).limits();
        assertEquals(4, defaults.batchSlots());
        assertEquals(2048, defaults.batchContext());
        assertEquals(0, ServeConfig.load(write("models: { m: { model: ckpt } }\nlimits: { batch_slots: 0 }\n"))
                .limits().batchSlots());
        Path file = write("models: { m: { model: ckpt } }\nlimits:\n  batch_slots: -1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(file));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("batch_slots must be 0 or more"), e.getMessage());
    }

    @Test
    void rejectsAModelWithBothPipelineAndModel() throws IOException {
        Path file = write("models:\n  m:\n    pipeline: a.yaml\n    model: ckpt\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(file));
        assertEquals("models.m.pipeline", e.keyPath());
        assertEquals(3, e.line());
    }

    @Test
    void rejectsAWrongTypeNamingTheKey() throws IOException {
        Path file = write("port: eighty\nmodels: { m: { model: ckpt } }\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(file));
        assertEquals("port", e.keyPath());
        assertEquals(1, e.line());
    }

    @Test
    void memoryBudgetTakesBytesOrSizes() throws IOException {
        assertEquals(2L << 30, ServeConfig.load(write("memory_budget: 2GiB\nmodels: { m: { model: x } }\n"))
                .memoryBudgetBytes());
        assertEquals(512_000_000L, ServeConfig.load(write("memory_budget: 512MB\nmodels: { m: { model: x } }\n"))
                .memoryBudgetBytes());
        assertEquals(1234L, ServeConfig.load(write("memory_budget: 1234\nmodels: { m: { model: x } }\n"))
                .memoryBudgetBytes());
        Path bad = write("models: { m: { model: x } }\nmemory_budget: lots\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(bad));
        assertEquals("memory_budget", e.keyPath());
        assertEquals(2, e.line());
    }

    @Test
    void rejectsAModelNameThatCannotBeALabel() throws IOException {
        Path file = write("models: { 'a b': { model: x } }\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(file));
        assertTrue(e.getMessage().contains("'a b'"), e.getMessage());
    }

    private Path write(String yaml) throws IOException {
        Path file = Files.createTempFile(dir, "serve", ".yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
