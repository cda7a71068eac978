package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.llm.TestData;
import org.mix4j.llm.TinyCheckpoint;
import picocli.CommandLine;

/** {@code mix serve}: the demo YAML, one pipeline YAML, and the errors of its arguments. */
class ServeCommandTest {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    /** Runs {@code mix serve ARGS} in the background until {@code use} is done with its port. */
    private static String serve(ThrowingConsumer use, String... args) throws Exception {
        StringWriter err = new StringWriter();
        ServeCommand command = new ServeCommand();
        try (CliContext context = new CliContext(null, false, new PrintWriter(new StringWriter()), new PrintWriter(err))) {
            context.pluginsOff();
            command.init(context);
            new CommandLine(command).parseArgs(args);
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return command.call();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (command.server() == null && !run.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            try {
                use.accept(command.server().port());
            } finally {
                command.stop();
            }
            assertEquals(0, run.get(60, TimeUnit.SECONDS));
        }
        return err.toString();
    }

    interface ThrowingConsumer {
        void accept(int port) throws Exception;
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheDemoYamlOnTheGivenPort() throws Exception {
        String err = serve(port -> {
            HttpResponse<String> models = get(port, "/v1/models");
            assertEquals(200, models.statusCode());
            assertTrue(models.body().contains("\"tiny-llama\"") && models.body().contains("\"tiny-llava\""), models.body());
            HttpResponse<String> chat = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny-llama\", \"max_tokens\": 3, \"messages\": "
                            + "[{\"role\": \"user\", \"content\": \"what color is the red car ?\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());
            assertTrue(chat.body().contains("\"completion_tokens\":3"), chat.body());
        }, ROOT.resolve("examples/serve/demo.yaml").toString(), "--port", "0");
        assertTrue(err.contains("serving tiny-llama, tiny-llava"), err);
    }

    @Test
    void aPipelineYamlServesOneModelNamedAfterTheFile() throws Exception {
        serve(port -> assertTrue(get(port, "/v1/models").body().contains("\"id\":\"tiny-text\""), "one model, tiny-text"),
                ROOT.resolve("examples/serve/tiny-text.yaml").toString(), "--port", "0");
    }

    @Test
    void aCheckpointFolderServesOneModelNamedAfterTheFolder() throws Exception {
        Path ckpt = Files.createDirectories(dir.resolve("tiny-chat-model"));
        Path resources = TestData.resource("tiny-chat");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(resources.resolve(f), ckpt.resolve(f));
        }
        TinyCheckpoint.write(ckpt, Files.readString(resources.resolve("config.json")), 21);
        serve(port -> {
            assertTrue(get(port, "/v1/models").body().contains("\"id\":\"tiny-chat-model\""));
            HttpResponse<String> chat = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"tiny-chat-model\", \"max_tokens\": 2, "
                            + "\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());
        }, "--model", ckpt.toString(), "--port", "0");
    }

    @Test
    void aBadServerYamlFailsNamingFileLineAndKey() throws Exception {
        Path yaml = dir.resolve("server.yaml");
        Files.writeString(yaml, "models:\n  m: { pipeline: p.yaml }\nlimits: { queue_per_model: -1 }\n");
        StringWriter err = new StringWriter();
        int code = Mix.run(new String[] {"--no-plugins", "serve", yaml.toString(), "--port", "0"},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(1, code, err.toString());
        assertTrue(err.toString().contains(yaml + ":3:") && err.toString().contains("limits.queue_per_model"), err.toString());
    }

    @Test
    void needsExactlyOneOfYamlAndModel() {
        StringWriter err = new StringWriter();
        int code = Mix.run(new String[] {"--no-plugins", "serve"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertTrue(code != 0 && err.toString().contains("--model DIR"), err.toString());
    }

    @Test
    void namesAModelAfterItsFileOrFolder() {
        assertEquals("tiny-text", ServeCommand.name(Path.of("examples/serve/tiny-text.yaml")));
        assertEquals("Qwen2.5-0.5B-Instruct", ServeCommand.name(Path.of("/models/Qwen2.5-0.5B-Instruct/")));
    }
}
