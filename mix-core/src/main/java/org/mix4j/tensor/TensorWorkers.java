package org.mix4j.tensor;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker threads behind {@link TensorParallel#map}: each takes one part at a time, and after a
 * part it keeps polling for the next one for a short while (spinning, {@code mix.tensor.spin_us},
 * default 60 µs) before it sleeps. The caller waits for a part the same way.
 *
 * <p>Why not an executor: a decoded token is about a hundred matrix products in a row, each a few
 * hundred microseconds of work split over the cores, with a few engine ops between them. Waking a
 * sleeping pool thread for each one cost 100-250 µs on this project's machine. Back-to-back int8
 * products of a Qwen2-0.5B step read 17 GB/s with a parked pool and 27 GB/s with workers polling
 * 500 µs; whole decode steps, with engine ops between the products, were fastest with a short
 * poll: 60 µs gave 28.5 tok/s (mean of four runs, 25.7-31.3) against 23.9 (22.2-26.3) for a parked
 * worker and 23 for 500 µs, which keeps the second core busy through every engine op of the step.
 * A worker idle for longer than the poll sleeps and costs nothing.
 *
 * <p>A part is given to an idle worker only; when every worker is busy (several callers at once,
 * beyond {@link #MAX_WORKERS}) the caller runs the part itself, so no call ever queues behind
 * another or deadlocks.
 */
final class TensorWorkers {

    static final String THREAD_PREFIX = "mix-tensor-";

    /** How long an idle worker (and a waiting caller) polls before sleeping. */
    static final long SPIN_NANOS = Math.max(0, Long.getLong("mix.tensor.spin_us", 60)) * 1000;

    /** Workers are started as callers need them, up to this many. */
    static final int MAX_WORKERS = Math.max(4, 4 * Runtime.getRuntime().availableProcessors());

    private static final CopyOnWriteArrayList<Worker> WORKERS = new CopyOnWriteArrayList<>();

    private TensorWorkers() {
    }

    /** One part of a {@link TensorParallel#map}: computed by a worker, awaited by the caller. */
    static final class Job {
        private final IntFunction<NDArray> part;
        private final int index;
        private NDArray result; // written before done, read after it
        private Throwable failure;
        private volatile boolean done;
        private volatile Thread waiter;

        Job(IntFunction<NDArray> part, int index) {
            this.part = part;
            this.index = index;
        }

        void compute() {
            try {
                result = part.apply(index);
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Tells the caller the part has run; the worker is free again before this, so the caller's next part finds it idle. */
        void finish() {
            done = true;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        /** Waits until the part has run (polling first, then sleeping); never gives up, so no result is lost. */
        void await() {
            long start = System.nanoTime();
            while (!done) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (!done) {
                        LockSupport.park(this);
                    }
                }
            }
        }

        NDArray result() {
            return result;
        }

        Throwable failure() {
            return failure;
        }
    }

    /** Workers started so far. */
    static int count() {
        return WORKERS.size();
    }

    /** Hands {@code job} to an idle worker; false when none is free (the caller then runs it). */
    static boolean offer(Job job) {
        for (Worker w : WORKERS) {
            if (!w.busy.get() && w.busy.compareAndSet(false, true)) {
                w.hand(job);
                return true;
            }
        }
        Worker started = start();
        if (started == null) {
            return false;
        }
        started.hand(job);
        return true;
    }

    /** A new worker, already claimed; null at the limit. */
    private static synchronized Worker start() {
        if (WORKERS.size() >= MAX_WORKERS) {
            return null;
        }
        Worker w = new Worker(WORKERS.size() + 1);
        WORKERS.add(w);
        w.thread.start();
        return w;
    }

    private static final class Worker implements Runnable {
        final AtomicBoolean busy = new AtomicBoolean(true);
        final Thread thread;
        private volatile Job job;
        private volatile boolean sleeping;

        Worker(int number) {
            thread = new Thread(this, THREAD_PREFIX + number);
            thread.setDaemon(true);
        }

        void hand(Job j) {
            job = j;
            if (sleeping) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Job j = job;
                if (j == null) {
                    if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        sleeping = true; // then re-read job: hand() either sees this flag or this read sees its job
                        if (job == null) {
                            LockSupport.park(this);
                        }
                        sleeping = false;
                    }
                    continue;
                }
                job = null;
                j.compute();
                busy.set(false); // free before finish(): a caller that went on at once must not find it busy and start another
                j.finish();
                idleSince = System.nanoTime();
            }
        }
    }
}
