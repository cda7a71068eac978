package org.mix4j.serve;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.function.UnaryOperator;
import org.mix4j.MixRuntime;

/** The demo server (examples/serve/demo.yaml) in this JVM on a free port, and clients for it. */
final class TinyServer implements AutoCloseable {

    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path DEMO = ROOT.resolve("examples/serve/demo.yaml");
    static final Path IMAGE = ROOT.resolve("examples/images/field.png");

    final NDManager manager;
    final MixServer server;
    final PipelineModels models;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @param edit changes to the demo configuration (the port is always 0) */
    TinyServer(MixRuntime runtime, UnaryOperator<ServeConfig> edit) {
        this(runtime, edit, loader -> loader);
    }

    /** @param wrap what the server loads through, given the pipelines' loader */
    TinyServer(MixRuntime runtime, UnaryOperator<ServeConfig> edit, UnaryOperator<ModelCache.Loader> wrap) {
        ServeConfig config = edit.apply(ServeConfig.load(DEMO)).withAddress("127.0.0.1", 0);
        manager = NDManager.newBaseManager();
        models = new PipelineModels(config, runtime.loader(), manager);
        server = new MixServer(config, wrap.apply(models)).start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    OpenAIClient openai(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(url("/v1")).apiKey(key).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A chat request body for one user message. */
    static String chat(String model, String prompt, int maxTokens) {
        JsonObject message = new JsonObject();
        message.addProperty("role", "user");
        message.addProperty("content", prompt);
        com.google.gson.JsonArray messages = new com.google.gson.JsonArray();
        messages.add(message);
        JsonObject body = new JsonObject();
        body.addProperty("model", model);
        body.add("messages", messages);
        body.addProperty("max_tokens", maxTokens);
        body.addProperty("temperature", 0);
        return body.toString();
    }

    /** The same request body asking for server-sent events. */
    static String streamed(String body) {
        JsonObject o = JsonParser.parseString(body).getAsJsonObject();
        o.addProperty("stream", true);
        return o.toString();
    }

    static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /** The answer text of a non-streamed completion. */
    static String answer(HttpResponse<String> r) {
        return json(r).getAsJsonArray("choices").get(0).getAsJsonObject().getAsJsonObject("message").get("content")
                .getAsString();
    }

    static String imageDataUrl() throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(IMAGE));
    }

    @Override
    public void close() {
        server.stop();
        manager.close();
    }
}
