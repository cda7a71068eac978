package org.mix4j.weights;

/** A checkpoint file or tensor is missing, malformed, hostile, or does not fit the model. */
public class CheckpointException extends RuntimeException {

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
