package org.mix4j.serve;

import org.mix4j.config.ConfigException;
import org.mix4j.weights.CheckpointException;

/** What an exception thrown while answering becomes in OpenAI's error shape. */
final class ServerErrors {

    private ServerErrors() {}

    static ApiError of(Throwable e) {
        if (e instanceof ApiError api) {
            return api;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigException || t instanceof CheckpointException) {
                // a served model's YAML or checkpoint is broken: the operator's problem, not the caller's
                return new ApiError(500, "server_error", "model", "model_load_failed", "the model could not be loaded: "
                        + t.getMessage());
            }
        }
        if (e instanceof IllegalArgumentException) {
            // what the pipelines refuse about a prompt: longer than the context, image placeholders that do not match
            return ApiError.invalid("messages", e.getMessage());
        }
        return new ApiError(500, "server_error", null, null, "internal error: " + e);
    }
}
