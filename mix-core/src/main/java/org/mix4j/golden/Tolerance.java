package org.mix4j.golden;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * Elementwise {@code |actual - expected| <= atol + rtol * |expected|}; {@code exact} demands equality.
 */
public record Tolerance(double atol, double rtol, boolean exact) {

    public static final Tolerance EXACT = new Tolerance(0, 0, true);

    /** The tolerance {@code case.json} states for {@code output}. */
    public static Tolerance of(JsonObject caseJson, String output) {
        if (contains(caseJson.get("exact_outputs"), output)) {
            return EXACT;
        }
        double atol = number(caseJson, "atol", 1e-4);
        double rtol = number(caseJson, "rtol", 1e-4);
        JsonElement per = caseJson.get("per_output_tolerance");
        if (per != null && per.isJsonObject() && per.getAsJsonObject().has(output)) {
            JsonObject o = per.getAsJsonObject().getAsJsonObject(output);
            atol = number(o, "atol", atol);
            rtol = number(o, "rtol", rtol);
        }
        return new Tolerance(atol, rtol, false);
    }

    boolean allows(double actual, double expected) {
        if (exact || (atol == 0 && rtol == 0)) {
            return actual == expected || (Double.isNaN(actual) && Double.isNaN(expected));
        }
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }

    @Override
    public String toString() {
        return exact ? "exact" : "atol " + atol + ", rtol " + rtol;
    }

    private static boolean contains(JsonElement list, String value) {
        if (list == null || !list.isJsonArray()) {
            return false;
        }
        for (JsonElement e : list.getAsJsonArray()) {
            if (value.equals(e.getAsString())) {
                return true;
            }
        }
        return false;
    }

    private static double number(JsonObject o, String key, double fallback) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? fallback : e.getAsDouble();
    }
}
