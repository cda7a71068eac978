package org.mix4j.pipelines.task;

/** Checks the settings records share. */
final class SettingChecks {

    private SettingChecks() {}

    /** NaN and the infinities pass {@code <} and {@code >} range checks unnoticed; no setting means them. */
    static void finite(String key, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(key + " must be a finite number, got " + value);
        }
    }
}
