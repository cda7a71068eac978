package org.mix4j.registry;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs plugin code (its {@code Plugin.start()}, the constructors of its extensions) on a daemon
 * thread of its own and waits at most the plugin time limit for it. A plugin stuck in a loop is then
 * reported instead of hanging the host; its thread is interrupted and left behind (Java cannot stop
 * it), and, being a daemon, does not keep the process alive. This guards against slow or stuck
 * plugins only: a plugin runs with the host's rights and can still end the process (see
 * docs/security.md).
 */
final class PluginTimeLimit {

    /** The plugin did not finish in time; the message says what it was doing and the limit. */
    static final class Exceeded extends RuntimeException {
        Exceeded(String message) {
            super(message);
        }
    }

    private final Duration limit;

    PluginTimeLimit(Duration limit) {
        this.limit = limit;
    }

    Duration limit() {
        return limit;
    }

    /**
     * The result of {@code task}, run for plugin {@code id}; what it throws is rethrown as is.
     *
     * @param doing what the plugin is doing, for the message ("starting", "creating its extensions")
     * @throws Exceeded when it runs past the limit
     */
    <T> T run(String id, String doing, Supplier<T> task) {
        FutureTask<T> future = new FutureTask<>(task::get);
        Thread thread = new Thread(future, "mix-plugin-" + id);
        thread.setDaemon(true);
        thread.setContextClassLoader(Thread.currentThread().getContextClassLoader());
        thread.start();
        try {
            return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            thread.interrupt();
            throw new Exceeded("did not finish " + doing + " within " + describe(limit)
                    + " (the plugin time limit: -Dmix.plugins.timeout or $MIX_PLUGIN_TIMEOUT, in seconds)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.interrupt();
            throw new Exceeded("interrupted while " + doing);
        }
    }

    static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
