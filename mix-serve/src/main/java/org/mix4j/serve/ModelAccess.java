package org.mix4j.serve;

import io.javalin.http.Context;
import java.util.Map;

/**
 * How a request reaches its model: a place in the model's bounded queue (429 with
 * {@code Retry-After} when full), then the model leased from the cache (loaded first if it is not
 * resident). Every route that runs a model enters here.
 */
final class ModelAccess {

    private final Map<String, ModelQueue> queues;
    private final ModelCache cache;

    ModelAccess(Map<String, ModelQueue> queues, ModelCache cache) {
        this.queues = queues;
        this.cache = cache;
    }

    /** The model, leased until the use is closed; 404 for a name the server does not serve. */
    Use enter(String model, Context ctx) throws InterruptedException {
        ModelQueue queue = queues.get(model);
        if (queue == null) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found", "The model '" + model
                    + "' does not exist on this server; it serves " + String.join(", ", queues.keySet()));
        }
        ModelQueue.Ticket ticket;
        try {
            ticket = queue.enter();
        } catch (ModelQueue.Full e) {
            ctx.header("Retry-After", "1");
            throw new ApiError(429, "rate_limit_exceeded", null, "rate_limit_exceeded", "The model '" + model
                    + "' is busy (" + e.getMessage() + "); retry later");
        }
        try {
            return new Use(ticket, cache.acquire(model));
        } catch (RuntimeException | Error e) {
            ticket.close();
            throw e;
        }
    }

    /** A 400 for a model asked for what it does not do, naming what it does. */
    static ApiError wrongTask(String model, ServedModel served, String route) {
        String does = switch (served.task()) {
            case "text", "understanding" -> "POST /v1/chat/completions";
            case "retrieval" -> "POST /v1/embeddings";
            case "generation" -> "POST /v1/images/generations and /v1/images/edits";
            default -> "nothing over HTTP";
        };
        return new ApiError(400, "invalid_request_error", "model", "model_not_supported", "The model '" + model
                + "' is a task: " + served.task() + " pipeline and does not answer " + route + "; it answers " + does);
    }

    /** A running place and a leased model; closing gives both back. */
    static final class Use implements AutoCloseable {
        private final ModelQueue.Ticket ticket;
        private final ModelCache.Lease lease;

        private Use(ModelQueue.Ticket ticket, ModelCache.Lease lease) {
            this.ticket = ticket;
            this.lease = lease;
        }

        ServedModel model() {
            return lease.model();
        }

        @Override
        public void close() {
            try {
                lease.close();
            } finally {
                ticket.close();
            }
        }
    }
}
