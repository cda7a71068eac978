package org.mix4j.registry;

import java.util.List;

/** A YAML {@code type:} names no registered component of the expected role. */
public class UnknownComponentException extends RuntimeException {

    private final List<String> known;

    public UnknownComponentException(String message, List<String> known) {
        super(message + (known.isEmpty() ? " (no types of this role are registered)" : " (known: "
                + String.join(", ", known) + ")"));
        this.known = List.copyOf(known);
    }

    public List<String> known() {
        return known;
    }
}
