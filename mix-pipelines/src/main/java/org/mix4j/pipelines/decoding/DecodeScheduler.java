package org.mix4j.pipelines.decoding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.mix4j.api.KvCache;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.task.DecodingSettings;

/**
 * Continuous batching: the sequences of concurrent callers share decode steps. A caller's prompt
 * is prefilled on the caller's thread into a cache of its own ({@link BatchedSequence}); the
 * sequence then joins a free row of one batched KV cache between two steps, and one thread runs
 * each step as a single forward over all rows (so the weights are read once for every sequence).
 * Each row keeps its own positions, attention mask, sampler, stop checks and text, so a sequence
 * decodes exactly as it would alone; a finished or cancelled one leaves its row at once. Callers
 * beyond the number of rows wait for one; a prompt whose answer would not fit in the batched
 * cache's {@code context} positions is decoded alone by {@link DecodingLoop}.
 */
public final class DecodeScheduler implements AutoCloseable {

    private final LanguageModel model;
    private final DecodingLoop alone;
    private final Tokenizer tokenizer;
    private final NDManager manager;
    private final int context;
    private final CacheRows rows;
    private final BatchedSequence[] active;
    private final BlockingQueue<BatchedSequence> joining = new LinkedBlockingQueue<>();
    private final Future<?> loop;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean started;
    private volatile boolean closed;
    private volatile Stats stats = new Stats(0, 0, 0, 0);
    private final long cacheBytes;

    /**
     * What the scheduler did so far.
     *
     * @param steps batched forwards
     * @param rowSteps tokens those forwards decoded (their active rows together)
     * @param drops times the full column axis dropped its unused front
     * @param moves busy rows moved down into rows freed below them
     */
    public record Stats(long steps, long rowSteps, long drops, long moves) {}

    /**
     * @param manager parent of the batched cache and of each prefill
     * @param slots rows of the batched cache: sequences decoding together
     * @param context positions each row can hold (capped at the model's); a sequence needs its
     *     prompt plus its {@code max_new_tokens}
     */
    public DecodeScheduler(LanguageModel model, Tokenizer tokenizer, NDManager manager, int slots, int context) {
        if (slots < 1 || context < 2) {
            throw new IllegalArgumentException("a decode scheduler needs at least 1 slot and 2 positions, got " + slots
                    + " and " + context);
        }
        if (!CacheRows.supported(model, manager)) {
            throw new IllegalArgumentException(model.getClass().getSimpleName() + "'s KV cache cannot be filled row by "
                    + "row (RowKvCache), which continuous batching needs");
        }
        this.model = model;
        this.alone = new DecodingLoop(model, tokenizer, manager);
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.context = Math.min(context, model.maxPositions());
        this.rows = new CacheRows(model, manager, slots, this.context);
        this.cacheBytes = rows.bytes(CacheRows.bytesPerPosition(model, manager));
        this.active = new BatchedSequence[slots];
        this.loop = THREADS.submit(this::run);
    }

    /**
     * The schedulers' threads, reused and never ended: a server loads and evicts models all day, and
     * every native thread that ended after running PyTorch ops left memory behind (ServerLoadTest:
     * +165 to +262 MiB over three rounds with a thread per load, +186 MiB when idle pooled threads
     * expired). There are as many as schedulers ever ran at once.
     */
    private static final ExecutorService THREADS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, Long.MAX_VALUE,
            TimeUnit.NANOSECONDS, new SynchronousQueue<>(), task -> {
                Thread t = new Thread(task, "mix-decode-scheduler");
                t.setDaemon(true);
                return t;
            });

    /**
     * Bytes of the batched KV cache while some request decodes ({@code slots × context} positions of
     * keys and values for every layer); none while idle.
     */
    public long cacheBytes() {
        return cacheBytes;
    }

    /** The language model whose steps this scheduler runs. */
    public LanguageModel model() {
        return model;
    }

    /** Whether a model's KV cache supports batching by rows. */
    public static boolean supports(LanguageModel model, NDManager manager) {
        return CacheRows.supported(model, manager);
    }

    /**
     * Generates a continuation of one prompt, as {@link DecodingLoop#generate(List, DecodingSettings,
     * TextStreamer, BooleanSupplier)} does for a batch of one, sharing decode steps with the other
     * callers. {@code streamer} is called on this thread; {@code cancelled} is polled after each
     * token on the scheduler's thread and after each piece of text on this one, so it must be safe
     * to call from another thread (a volatile flag).
     */
    public DecodeResult generate(long[] promptIds, DecodingSettings settings, TextStreamer streamer,
            BooleanSupplier cancelled) {
        return generate(promptIds, null, settings, streamer, cancelled);
    }

    /**
     * {@link #generate(long[], DecodingSettings, TextStreamer, BooleanSupplier)} for a prompt whose
     * input embeddings the caller made (an understanding prompt: image features spliced in at the
     * placeholders), as {@link DecodingLoop#generate(NDArray, long[][], List, DecodingSettings,
     * TextStreamer, BooleanSupplier)} takes them. Only the prefill reads them, on this thread, so
     * they may live in the caller's manager.
     *
     * @param promptIds the ids of the same positions (image positions included): what stop checks,
     *     the repetition penalty and the token counts see
     * @param promptEmbeds {@code [1, promptIds.length, hidden]}, or {@code null} to embed the ids
     */
    public DecodeResult generate(long[] promptIds, NDArray promptEmbeds, DecodingSettings settings,
            TextStreamer streamer, BooleanSupplier cancelled) {
        if (promptEmbeds != null && (promptEmbeds.getShape().dimension() != 3 || promptEmbeds.getShape().get(0) != 1
                || promptEmbeds.getShape().get(1) != promptIds.length)) {
            throw new IllegalArgumentException("prompt embeddings " + promptEmbeds.getShape() + " do not match "
                    + promptIds.length + " prompt ids (expected [1, " + promptIds.length + ", hidden])");
        }
        int maxNew = DecodingLoop.room(settings, model.maxPositions() - promptIds.length);
        if (closed || promptIds.length == 0 || maxNew <= 0 || (long) promptIds.length + maxNew > context) {
            if (promptEmbeds == null) { // its checks, its errors
                return alone.generate(List.of(promptIds), settings, streamer, cancelled);
            }
            long[][] mask = new long[1][promptIds.length];
            java.util.Arrays.fill(mask[0], 1);
            return alone.generate(promptEmbeds, mask, List.of(promptIds), settings, streamer, cancelled);
        }
        alone.checkStopIds(settings);
        BatchedSequence sequence = new BatchedSequence(promptIds, promptEmbeds, settings, maxNew, tokenizer, cancelled);
        sequence.prefill(alone, model, manager);
        if (sequence.finished()) {
            sequence.finish(System.nanoTime());
        } else {
            joining.add(sequence);
            if (closed) {
                failAll(new IllegalStateException("the model was closed"));
            }
        }
        return sequence.await(streamer, cancelled);
    }

    private void run() {
        started = true;
        try {
            while (!closed) {
                admit();
                try {
                    step();
                } catch (RuntimeException e) { // the rows' bookkeeping failed: no one may wait forever
                    failAll(e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } finally {
            stopped.countDown();
        }
    }

    /** Moves waiting sequences into free rows; waits for one when no row is busy. */
    private void admit() throws InterruptedException {
        for (int r = 0; r < active.length; r++) {
            if (active[r] != null) {
                continue;
            }
            BatchedSequence next = activeCount() == 0 ? joining.take() : joining.poll();
            if (next == null) {
                return;
            }
            try {
                next.join(rows, r);
                active[r] = next;
            } catch (RuntimeException e) {
                next.fail(e);
            }
        }
    }

    /** One token for every active row; sequences that finish leave, and the cache goes when all have. */
    private void step() {
        if (activeCount() == 0) {
            return;
        }
        boolean[] busy = new boolean[active.length];
        int rowsUsed = 0; // the rows up to the last busy one: free rows after it are left out of the step
        for (int r = 0; r < active.length; r++) {
            busy[r] = active[r] != null;
            rowsUsed = busy[r] ? r + 1 : rowsUsed;
        }
        long[] ids = new long[rowsUsed];
        long[] positions = new long[rowsUsed];
        float[][] logits;
        try (NDManager step = manager.newSubManager()) {
            for (int r = 0; r < rowsUsed; r++) {
                ids[r] = busy[r] ? active[r].nextToken() : 0;
                positions[r] = busy[r] ? active[r].extend() : 0;
            }
            boolean dropped = rows.makeRoom(busy);
            stats = new Stats(stats.steps() + 1, stats.rowSteps() + activeCount(), stats.drops() + (dropped ? 1 : 0),
                    stats.moves());
            NDArray mask = rows.stepMask(step, busy, rowsUsed);
            NDArray embeds = model.embed(step.create(ids, new Shape(rowsUsed, 1)));
            KvCache cache = rows.stepCache(rowsUsed, step); // a view lives in the step's manager
            logits = alone.lastLogits(embeds, step.create(positions, new Shape(rowsUsed, 1)), mask, cache);
            rows.stepped(cache);
        } catch (RuntimeException e) {
            failAll(e);
            return;
        }
        List<BatchedSequence> done = new ArrayList<>();
        for (int r = 0; r < active.length; r++) {
            if (active[r] != null) {
                try {
                    active[r].choose(logits[r]);
                } catch (RuntimeException e) {
                    active[r].fail(e);
                    rows.leave(r);
                    active[r] = null;
                    continue;
                }
                if (active[r].finished()) {
                    done.add(active[r]);
                    rows.leave(r);
                    active[r] = null;
                }
            }
        }
        if (activeCount() == 0 && joining.isEmpty()) {
            rows.close(); // before the last answers go out: an idle model holds no cache
        } else {
            packRows();
        }
        long now = System.nanoTime();
        done.forEach(s -> s.finish(now));
    }

    /** Moves the highest busy rows into free rows below them, so that the busy rows come first. */
    private void packRows() {
        int free = 0;
        int busy = active.length - 1;
        while (true) {
            while (free < active.length && active[free] != null) {
                free++;
            }
            while (busy >= 0 && active[busy] == null) {
                busy--;
            }
            if (free >= busy) {
                return;
            }
            rows.move(busy, free);
            active[free] = active[busy];
            active[busy] = null;
            stats = new Stats(stats.steps(), stats.rowSteps(), stats.drops(), stats.moves() + 1);
        }
    }

    public Stats stats() {
        return stats;
    }

    private int activeCount() {
        int n = 0;
        for (BatchedSequence s : active) {
            n += s == null ? 0 : 1;
        }
        return n;
    }

    private synchronized void failAll(RuntimeException e) {
        for (int r = 0; r < active.length; r++) {
            if (active[r] != null) {
                active[r].fail(e);
                active[r] = null;
            }
        }
        BatchedSequence waiting;
        while ((waiting = joining.poll()) != null) {
            waiting.fail(e);
        }
        rows.close();
    }

    /** Stops the scheduler; no call may be running (a waiting one fails). */
    @Override
    public void close() {
        closed = true;
        loop.cancel(true);
        try {
            if (started) {
                stopped.await(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll(new IllegalStateException("the model was closed"));
    }
}
