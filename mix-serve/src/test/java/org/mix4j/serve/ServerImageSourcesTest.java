package org.mix4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.MixRuntime;
import org.mix4j.config.ConfigException;
import org.mix4j.registry.MixSettings;

/**
 * Image URLs beyond inline data: {@code file:} inside the operator's folders and {@code http:} from
 * its hosts give the same answer as the same picture inline; everything else is a 400 naming the
 * field, and nothing is opened or fetched that the lists do not allow.
 */
class ServerImageSourcesTest {

    private static final String FIELD = "messages[0].content[1].image_url.url";

    @TempDir
    static Path dir;

    private static MixRuntime runtime;
    private static TinyServer tiny;
    private static HttpServer host;
    private static HttpServer otherHost;
    private static final AtomicInteger otherHostHits = new AtomicInteger();
    private static Path allowed;
    private static Path outside;
    private static final long MAX_BYTES = 64 * 1024;

    @BeforeAll
    static void start() throws IOException {
        byte[] png = Files.readAllBytes(TinyServer.IMAGE);
        allowed = Files.createDirectories(dir.resolve("album"));
        outside = Files.createDirectories(dir.resolve("private"));
        Files.write(allowed.resolve("field.png"), png);
        Files.write(outside.resolve("secret.png"), png);
        Files.createSymbolicLink(allowed.resolve("link.png"), outside.resolve("secret.png"));
        Files.write(allowed.resolve("big.png"), new byte[(int) MAX_BYTES + 1]);
        host = serve(png, null);
        otherHost = serve(png, otherHostHits);
        String allowedHost = "127.0.0.1:" + host.getAddress().getPort();
        runtime = MixRuntime.start(MixSettings.builtInOnly());
        tiny = new TinyServer(runtime, c -> c.withImageSources(
                new ImageSources(List.of(allowed.toString()), List.of(allowedHost), MAX_BYTES, 5)));
    }

    /** A loopback web server: /field.png, /moved (302 to it), /big (too large), anything else 404. */
    private static HttpServer serve(byte[] png, AtomicInteger hits) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", exchange -> {
            if (hits != null) {
                hits.incrementAndGet();
            }
            String path = exchange.getRequestURI().getPath();
            byte[] body = switch (path) {
                case "/field.png" -> png;
                case "/big" -> new byte[(int) MAX_BYTES + 10];
                default -> null;
            };
            if (path.equals("/moved")) {
                exchange.getResponseHeaders().add("Location", "/field.png");
                exchange.sendResponseHeaders(302, -1);
            } else if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        });
        s.start();
        return s;
    }

    @AfterAll
    static void stop() {
        if (tiny != null) {
            tiny.close();
        }
        if (runtime != null) {
            runtime.close();
        }
        host.stop(0);
        otherHost.stop(0);
    }

    private static String body(String url) {
        return "{\"model\": \"tiny-llava\", \"max_tokens\": 6, \"temperature\": 0, \"messages\": [{\"role\": \"user\", "
                + "\"content\": [{\"type\": \"text\", \"text\": \"what is it?\"},"
                + "{\"type\": \"image_url\", \"image_url\": {\"url\": \"" + url + "\"}}]}]}";
    }

    private static HttpResponse<String> ask(String url) throws Exception {
        return tiny.post("/v1/chat/completions", body(url));
    }

    /** The error of a 400 answer, checked to name the image field. */
    private static String refused(String url) throws Exception {
        HttpResponse<String> r = ask(url);
        assertEquals(400, r.statusCode(), r.body());
        JsonObject e = TinyServer.json(r).getAsJsonObject("error");
        assertEquals(FIELD, e.get("param").getAsString(), e.toString());
        return e.get("message").getAsString();
    }

    @Test
    void aFileInsideTheFolderAndAnImageFromTheHostAnswerAsTheSamePictureInline() throws Exception {
        HttpResponse<String> inline = ask(TinyServer.imageDataUrl());
        assertEquals(200, inline.statusCode(), inline.body());
        String expected = TinyServer.answer(inline);
        HttpResponse<String> file = ask(allowed.resolve("field.png").toUri().toString());
        assertEquals(200, file.statusCode(), file.body());
        assertEquals(expected, TinyServer.answer(file));
        HttpResponse<String> web = ask("http://127.0.0.1:" + host.getAddress().getPort() + "/field.png");
        assertEquals(200, web.statusCode(), web.body());
        assertEquals(expected, TinyServer.answer(web));
    }

    @Test
    void filesOutsideTheFoldersAreRefusedAlsoThroughALinkOrDotDot() throws Exception {
        assertTrue(refused(outside.resolve("secret.png").toUri().toString()).contains("outside the folders"));
        assertTrue(refused(allowed.resolve("link.png").toUri().toString()).contains("outside the folders"));
        assertTrue(refused("file://" + allowed + "/../private/secret.png").contains("outside the folders"));
        assertTrue(refused("file:///etc/passwd").contains("outside the folders"));
        assertTrue(refused(allowed.resolve("missing.png").toUri().toString()).contains("no such file"));
        assertTrue(refused(allowed.toUri().toString()).contains("is not a file"));
        assertTrue(refused(allowed.resolve("big.png").toUri().toString()).contains("image_sources.max_bytes"));
        assertTrue(refused("file://otherhost" + allowed + "/field.png").contains("not a host"));
    }

    @Test
    void otherHostsRedirectsErrorsAndLargeBodiesAreRefused() throws Exception {
        int port = host.getAddress().getPort();
        String other = "http://127.0.0.1:" + otherHost.getAddress().getPort() + "/field.png";
        assertTrue(refused(other).contains("is not one of them"));
        assertEquals(0, otherHostHits.get(), "a host off the list is never contacted");
        assertTrue(refused("http://localhost:" + port + "/field.png").contains("is not one of them"));
        assertTrue(refused("https://127.0.0.1/field.png").contains("is not one of them"));
        assertTrue(refused("http://127.0.0.1:" + port + "/moved").contains("redirects are not followed"));
        assertTrue(refused("http://127.0.0.1:" + port + "/nothing").contains("HTTP 404"));
        assertTrue(refused("http://127.0.0.1:" + port + "/big").contains("image_sources.max_bytes"));
        assertTrue(refused("ftp://127.0.0.1/field.png").contains("ftp: URLs are not read"));
    }

    @Test
    void theSourcesAreCheckedWhenTheServerYamlIsReadAndStarted() throws IOException {
        Path yaml = dir.resolve("serve.yaml");
        Files.writeString(yaml, "models: { m: { model: ckpt } }\nimage_sources:\n  files: [album]\n"
                + "  hosts: [images.example.com, 'cdn.example.com:8443']\n");
        ServeConfig c = ServeConfig.load(yaml);
        assertEquals(List.of(allowed.toString()), c.imageSources().files(), "folders are relative to the YAML");
        assertEquals(List.of("images.example.com", "cdn.example.com:8443"), c.imageSources().hosts());
        assertEquals(ImageSources.none(), ServeConfig.load(TinyServer.DEMO).imageSources(), "off by default");

        Files.writeString(yaml, "models: { m: { model: ckpt } }\nimage_sources:\n  hosts: ['https://x.example.com/']\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ServeConfig.load(yaml));
        assertTrue(e.getMessage().contains("image_sources.hosts[0]") && e.getMessage().contains(yaml + ":"),
                e.getMessage());

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new ImageUrls(new ImageSources(List.of(dir.resolve("nowhere").toString()), List.of(), 2048, 1)));
        assertTrue(missing.getMessage().contains("image_sources.files[0]"), missing.getMessage());
    }
}
