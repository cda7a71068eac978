package org.mix4j.pipelines.chat;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.mix4j.api.KvCache;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.decoding.DecodingLoop;
import org.mix4j.pipelines.decoding.TextStreamer;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * A conversation that keeps the language model's KV cache between turns: each turn renders the
 * whole conversation, but only the positions after the prefix it shares with what the cache holds
 * are computed, so a turn costs its own tokens, not the history's. When the conversation no longer
 * fits the context, the oldest turns are dropped (and {@link Reply#droppedTurns()} says how many);
 * a message that does not fit even alone is refused and the conversation is left as it was.
 * Not thread-safe: one session serves one conversation at a time.
 */
public final class ChatSession implements AutoCloseable {

    /** A chat's context when the caller sets none (and the model allows as many positions). */
    public static final int DEFAULT_CONTEXT = 4096;

    /** The answer to one message. */
    public record Reply(DecodeResult result, int droppedTurns) {
        public String text() {
            return result.texts().get(0);
        }
    }

    private final ChatModel model;
    private final DecodingSettings settings;
    private final int context;
    private final NDManager manager;
    private final List<ChatTurn> turns = new ArrayList<>();
    private KvCache cache;
    private long[] cachedKeys = new long[0];
    private String system;

    /**
     * @param context positions the conversation may use, capped at the model's; the KV cache is
     *     allocated at this size on the first message
     */
    public ChatSession(ChatModel model, DecodingSettings settings, int context, NDManager parent) {
        if (context < 2) {
            throw new IllegalArgumentException("a chat context needs at least 2 positions, got " + context);
        }
        this.model = model;
        this.settings = settings;
        this.context = Math.min(context, model.llm().maxPositions());
        this.manager = parent.newSubManager();
    }

    /** Sends a text-only message. */
    public Reply send(String text, TextStreamer streamer) {
        return send(text, List.of(), streamer, () -> false);
    }

    /**
     * Sends a message with images; the reply is streamed, and kept in the conversation even when
     * {@code cancelled} ends it early.
     *
     * @throws IllegalArgumentException if the message does not fit the context on its own, or has
     *     images and the pipeline takes none; the conversation is unchanged
     */
    public Reply send(String text, List<RgbImage> images, TextStreamer streamer, BooleanSupplier cancelled) {
        if (!images.isEmpty() && !model.acceptsImages()) {
            throw new IllegalArgumentException("this pipeline takes text only; images need a task: understanding pipeline");
        }
        List<ChatTurn> candidate = new ArrayList<>(turns);
        candidate.add(new ChatTurn(text, images, null));
        int reserve = Math.min(settings.maxNewTokens(), Math.max(1, context / 4));
        int dropped = 0;
        ChatPrompt prompt = model.prompt(candidate, system);
        while (prompt.length() + reserve > context && dropped < candidate.size() - 1) {
            dropped++;
            prompt = model.prompt(candidate.subList(dropped, candidate.size()), system);
        }
        if (prompt.length() >= context) {
            throw new IllegalArgumentException("this message makes a prompt of " + prompt.length() + " tokens on its "
                    + "own; the chat's context is " + context + " tokens (shorten it, or use fewer or smaller images)");
        }
        DecodeResult result = generate(prompt, streamer, cancelled);
        List<ChatTurn> kept = new ArrayList<>(candidate.subList(dropped, candidate.size()));
        kept.set(kept.size() - 1, kept.get(kept.size() - 1).withReply(result.texts().get(0)));
        turns.clear();
        turns.addAll(kept);
        model.retain(turns);
        return new Reply(result, dropped);
    }

    private DecodeResult generate(ChatPrompt prompt, TextStreamer streamer, BooleanSupplier cancelled) {
        if (cache == null) {
            cache = model.llm().newCache(manager, 1, context);
        }
        int shared = commonPrefix(cachedKeys, prompt.keys());
        int reuse = Math.min(Math.min(shared, cache.length()), prompt.length() - 1);
        cache.truncate(reuse);
        cachedKeys = Arrays.copyOf(cachedKeys, reuse);
        DecodeResult result;
        try {
            result = new DecodingLoop(model.llm(), model.tokenizer(), manager).continueSequence(cache, prompt.ids(),
                    scope -> prompt.embeddings().from(reuse, scope), settings, streamer, cancelled);
        } catch (RuntimeException e) {
            forgetCache(); // a forward that failed part-way leaves the cache in no known state
            throw e;
        }
        // the cache now holds the prompt and every generated token but the last (never fed back)
        long[] generated = result.tokens().get(0);
        long[] keys = Arrays.copyOf(prompt.keys(), prompt.length() + Math.max(0, generated.length - 1));
        System.arraycopy(generated, 0, keys, prompt.length(), keys.length - prompt.length());
        if (keys.length != cache.length()) {
            forgetCache();
        } else {
            cachedKeys = keys;
        }
        return result;
    }

    private static int commonPrefix(long[] a, long[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    private void forgetCache() {
        if (cache != null) {
            cache.truncate(0);
        }
        cachedKeys = new long[0];
    }

    /** Forgets the conversation (the system prompt stays). */
    public void reset() {
        turns.clear();
        model.retain(turns);
        forgetCache();
    }

    /** Replaces the system prompt; {@code null} goes back to the pipeline's own. */
    public void system(String text) {
        this.system = text;
    }

    /** The system prompt set by {@link #system}, or {@code null}. */
    public String system() {
        return system;
    }

    public List<ChatTurn> turns() {
        return List.copyOf(turns);
    }

    /** The positions the conversation may use. */
    public int context() {
        return context;
    }

    /** Positions of the conversation the KV cache holds now. */
    public int cachedTokens() {
        return cache == null ? 0 : cache.length();
    }

    @Override
    public void close() {
        model.close();
        manager.close();
    }
}
