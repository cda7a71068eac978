package org.mix4j;

/** Framework constants. */
public final class Mix4j {

    /** The version plugins declare {@code Plugin-Requires} against. */
    public static final String VERSION = "0.1.0";

    private Mix4j() {}
}
