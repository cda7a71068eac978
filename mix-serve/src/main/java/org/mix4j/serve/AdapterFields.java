package org.mix4j.serve;

import static org.mix4j.serve.JsonFields.present;
import static org.mix4j.serve.JsonFields.string;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.mix4j.api.RgbImage;

/**
 * The image requests' extensions {@code loras: [{name, scale}]} and {@code controlnet: {name,
 * image, scale}}, read from the request JSON; every error a 400 naming the field
 * ({@code loras[1].scale}, {@code controlnet.image}). The names are checked against the server's
 * folders when the model applies them ({@link AdapterCache}).
 */
final class AdapterFields {

    /** The most LoRAs one request may stack. */
    static final int MAX_LORAS = 8;

    private AdapterFields() {}

    /** {@code loras: [{name, scale}]}: names in the server's folder, scale default 1. */
    static List<ServedModel.Painter.Lora> loras(JsonObject o) {
        JsonElement e = present(o, "loras");
        if (e == null) {
            return List.of();
        }
        if (!e.isJsonArray()) {
            throw ApiError.invalid("loras", "loras must be a list of {\"name\": ..., \"scale\": ...}, got " + e);
        }
        JsonArray items = e.getAsJsonArray();
        if (items.size() > MAX_LORAS) {
            throw ApiError.invalid("loras", "loras holds " + items.size() + " entries; at most " + MAX_LORAS);
        }
        List<ServedModel.Painter.Lora> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String field = "loras[" + i + "]";
            if (!items.get(i).isJsonObject()) {
                throw ApiError.invalid(field, field + " must be {\"name\": ..., \"scale\": ...}, got " + items.get(i));
            }
            JsonObject item = items.get(i).getAsJsonObject();
            onlyKeys(item, field, "name", "scale");
            String name = string(item, "name", true, field + ".name");
            out.add(new ServedModel.Painter.Lora(name, scale(item, field + ".scale", -4, 4)));
        }
        return out;
    }

    /** {@code controlnet: {name, image, scale}}: a name in the server's folder, the image as a data URL, scale default 1. */
    static ServedModel.Painter.Control controlnet(JsonObject o, ImageUrls images) {
        JsonElement e = present(o, "controlnet");
        if (e == null) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw ApiError.invalid("controlnet", "controlnet must be {\"name\": ..., \"image\": ..., \"scale\": ...}, got "
                    + e);
        }
        JsonObject c = e.getAsJsonObject();
        onlyKeys(c, "controlnet", "name", "image", "scale");
        String name = string(c, "name", true, "controlnet.name");
        RgbImage image = images.decode(string(c, "image", true, "controlnet.image"), "controlnet.image");
        return new ServedModel.Painter.Control(name, image, scale(c, "controlnet.scale", 0, 4));
    }

    private static double scale(JsonObject o, String field, double min, double max) {
        JsonElement e = present(o, "scale");
        if (e == null) {
            return 1.0;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.invalid(field, field + " must be a number, got " + e);
        }
        double v = e.getAsDouble();
        if (!Double.isFinite(v) || v < min || v > max) {
            throw ApiError.invalid(field, field + " must be between " + min + " and " + max + ", got " + e);
        }
        return v;
    }

    private static void onlyKeys(JsonObject o, String field, String... keys) {
        for (String key : o.keySet()) {
            if (!List.of(keys).contains(key)) {
                throw ApiError.invalid(field + "." + key, field + " has no field '" + key + "'; valid: "
                        + String.join(", ", keys));
            }
        }
    }
}
