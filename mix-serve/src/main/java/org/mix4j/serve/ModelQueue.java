package org.mix4j.serve;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission to one model: {@code running} requests decode at once, up to {@code waiting} more wait
 * in arrival order, and any beyond are turned away at once (the server answers 429).
 */
public final class ModelQueue {

    /** The queue was full. */
    public static final class Full extends Exception {
        Full(String message) {
            super(message, null, false, false);
        }
    }

    /** A place among the running requests; closing it lets the next one in. */
    public final class Ticket implements AutoCloseable {
        private boolean closed;

        private Ticket() {}

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                slots.release();
                admitted.decrementAndGet();
            }
        }
    }

    private final int running;
    private final int waiting;
    private final Semaphore slots;
    private final AtomicInteger admitted = new AtomicInteger();

    public ModelQueue(int running, int waiting) {
        this.running = running;
        this.waiting = waiting;
        this.slots = new Semaphore(running, true);
    }

    /** Waits for a running place, or fails at once when {@code running + waiting} requests are already in. */
    public Ticket enter() throws Full, InterruptedException {
        if (admitted.incrementAndGet() > running + waiting) {
            admitted.decrementAndGet();
            throw new Full(running + " running and " + waiting + " waiting requests already");
        }
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            admitted.decrementAndGet();
            throw e;
        }
        return new Ticket();
    }

    /** Requests waiting for a running place. */
    public int depth() {
        return Math.max(0, admitted.get() - running);
    }
}
