package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.config.ConfigException;
import org.mix4j.registry.MixSettings;

/** CORS is off by default and, with {@code cors_origins}, allows exactly the named origins. */
class ServerCorsTest {

    @TempDir
    Path dir;

    private static HttpResponse<String> preflight(TinyServer tiny, String origin) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(tiny.url("/v1/chat/completions")))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type").build();
        return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void onlyTheConfiguredOriginsGetCorsHeaders() throws Exception {
        try (MixRuntime runtime = MixRuntime.start(MixSettings.builtInOnly())) {
            try (TinyServer off = new TinyServer(runtime, c -> c.withApiKeys(List.of("k")))) {
                HttpResponse<String> r = off.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 2),
                        "Authorization", "Bearer k", "Origin", "https://app.example.com");
                assertEquals(200, r.statusCode(), r.body());
                assertFalse(r.headers().firstValue("Access-Control-Allow-Origin").isPresent(), "off by default");
            }
            try (TinyServer on = new TinyServer(runtime, c -> c.withApiKeys(List.of("k"))
                    .withCorsOrigins(List.of("https://app.example.com")))) {
                HttpResponse<String> pre = preflight(on, "https://app.example.com");
                assertTrue(pre.statusCode() < 300, pre.statusCode() + " " + pre.body());
                assertEquals("https://app.example.com", pre.headers().firstValue("Access-Control-Allow-Origin")
                        .orElse(""), "the preflight needs no key and names the origin");
                HttpResponse<String> r = on.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 2),
                        "Authorization", "Bearer k", "Origin", "https://app.example.com");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("https://app.example.com", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
                HttpResponse<String> other = on.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 2),
                        "Authorization", "Bearer k", "Origin", "https://evil.example.net");
                assertFalse(other.headers().firstValue("Access-Control-Allow-Origin").isPresent(), "not a listed origin");
                assertEquals(401, on.post("/v1/chat/completions", TinyServer.chat("tiny-llama", "hi", 2),
                        "Origin", "https://app.example.com").statusCode(), "the key is still needed");
            }
        }
    }

    @Test
    void aWildcardOrAPathIsRefusedWithTheKey() throws Exception {
        Path yaml = dir.resolve("server.yaml");
        Files.writeString(yaml, "models: { m: { model: x } }\ncors_origins: ['*']\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(yaml));
        assertTrue(e.getMessage().contains("cors_origins"), e.getMessage());
        Files.writeString(yaml, "models: { m: { model: x } }\ncors_origins: [https://a.example.com/app]\n");
        assertThrows(ConfigException.class, () -> ServeConfig.load(yaml));
    }
}
