package org.mix4j.serve;

import com.google.gson.JsonObject;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events on the response; a failed write marks the client as gone. Nothing is written
 * before the first event, so an error found before it is still an ordinary response.
 */
final class Sse {

    private final OutputStream out;
    private volatile boolean gone;
    private boolean started;

    Sse(OutputStream out) {
        this.out = out;
    }

    /** Events on {@code ctx}'s response (status 200, {@code text/event-stream}); {@code null} when the client is gone. */
    static Sse open(Context ctx) {
        OutputStream out;
        try {
            out = ctx.res().getOutputStream();
        } catch (IOException e) {
            return null;
        }
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        return new Sse(out);
    }

    /** Sends {@code first} unless the stream has started. */
    void start(JsonObject first) {
        if (!started) {
            send(first);
        }
    }

    boolean started() {
        return started;
    }

    /** Sends one event; the stream has started. */
    void send(JsonObject data) {
        started = true;
        write("data: " + data + "\n\n");
    }

    void done() {
        write("data: [DONE]\n\n");
    }

    boolean gone() {
        return gone;
    }

    private void write(String event) {
        if (gone) {
            return;
        }
        try {
            out.write(event.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            gone = true;
        }
    }
}
