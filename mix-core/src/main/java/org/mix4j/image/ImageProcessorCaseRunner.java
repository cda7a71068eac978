package org.mix4j.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import jakarta.inject.Inject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.ImageProcessor;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Role;
import org.mix4j.compose.ComponentLoader;
import org.mix4j.config.JsonConfig;
import org.mix4j.golden.CaseRunner;
import org.mix4j.golden.GoldenCase;
import org.pf4j.Extension;

/**
 * Golden kind {@code image_processor}: builds {@code hf_image_processor} from the case's
 * {@code preprocessor_config.json} (with {@code processor_settings} applied where they differ),
 * rebuilds each input image from {@code io.safetensors} in its PIL mode, and returns
 * {@code pixel_values} (float32) and {@code pixel_values_uint8} (the resized, cropped uint8 image).
 */
@Extension
public final class ImageProcessorCaseRunner implements CaseRunner {

    private static final Map<String, String> CLASSES = Map.of("CLIPImageProcessor", "CLIPImageProcessor",
            "CLIPFeatureExtractor", "CLIPImageProcessor", "SiglipImageProcessor", "SiglipImageProcessor");

    private final ComponentLoader loader;

    @Inject
    public ImageProcessorCaseRunner(ComponentLoader loader) {
        this.loader = loader;
    }

    @Override
    public Set<String> kinds() {
        return Set.of("image_processor");
    }

    @Override
    public Map<String, NDArray> run(GoldenCase c, NDManager manager) {
        String processorClass = c.json().get("processor_class").getAsString();
        if (!CLASSES.containsKey(processorClass)) {
            throw new IllegalArgumentException(c.name() + ": processor_class '" + processorClass
                    + "' is not supported; valid: " + CLASSES.keySet());
        }
        ImageProcessor processor = loader.load("hf_image_processor", Role.IMAGE_PROCESSOR, c.dir(),
                overrides(c, processorClass), manager, DataType.FLOAT32);
        List<RgbImage> images = images(c, manager);
        List<RgbImage> resized = new ArrayList<>();
        for (RgbImage image : images) {
            resized.add(processor.resizeAndCrop(image));
        }
        return Map.of("pixel_values", processor.preprocess(images, manager),
                "pixel_values_uint8", uint8Batch(resized, manager));
    }

    /** {@code processor_settings} entries that differ from {@code preprocessor_config.json}. */
    static Map<String, Object> overrides(GoldenCase c, String processorClass) {
        JsonObject file = Files.isRegularFile(c.file("preprocessor_config.json"))
                ? JsonConfig.read(c.file("preprocessor_config.json")) : new JsonObject();
        Map<String, Object> out = new LinkedHashMap<>();
        JsonObject settings = c.json().has("processor_settings") ? c.json().getAsJsonObject("processor_settings")
                : new JsonObject();
        for (Map.Entry<String, JsonElement> e : settings.entrySet()) {
            if (!e.getValue().equals(file.get(e.getKey()))) {
                out.put(e.getKey(), toJava(e.getValue()));
            }
        }
        JsonElement declared = out.containsKey("image_processor_type") ? settings.get("image_processor_type")
                : file.get("image_processor_type");
        if (declared == null || !CLASSES.get(processorClass).equals(CLASSES.get(declared.getAsString()))) {
            out.put("image_processor_type", CLASSES.get(processorClass));
        }
        return out;
    }

    /** The case's input images, rebuilt from their arrays and converted to RGB as PIL does. */
    static List<RgbImage> images(GoldenCase c, NDManager manager) {
        List<RgbImage> out = new ArrayList<>();
        for (JsonElement e : c.json().getAsJsonArray("images")) {
            JsonObject spec = e.getAsJsonObject();
            NDArray pixels = c.tensor(spec.get("tensor").getAsString(), manager);
            long[] shape = pixels.getShape().getShape();
            byte[] palette = spec.has("palette") ? c.tensor(spec.get("palette").getAsString(), manager).toByteArray()
                    : null;
            out.add(ImageModes.toRgb(spec.get("mode").getAsString(), (int) shape[1], (int) shape[0],
                    pixels.toByteArray(), palette));
        }
        return out;
    }

    /** uint8 {@code [B, 3, H, W]}. */
    static NDArray uint8Batch(List<RgbImage> images, NDManager manager) {
        RgbImage first = images.get(0);
        int plane = first.width() * first.height();
        ByteBuffer data = ByteBuffer.allocateDirect(images.size() * 3 * plane).order(ByteOrder.nativeOrder());
        for (RgbImage image : images) {
            data.put(ImageOps.toChw(image));
        }
        data.rewind();
        return manager.create(data, new Shape(images.size(), 3, first.height(), first.width()), DataType.UINT8);
    }

    private static Object toJava(JsonElement e) {
        if (e.isJsonObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            e.getAsJsonObject().entrySet().forEach(x -> m.put(x.getKey(), toJava(x.getValue())));
            return m;
        }
        if (e.isJsonArray()) {
            List<Object> l = new ArrayList<>();
            e.getAsJsonArray().forEach(x -> l.add(toJava(x)));
            return l;
        }
        if (e.isJsonNull()) {
            return null;
        }
        var p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return p.getAsBoolean();
        }
        if (p.isNumber()) {
            java.math.BigDecimal d = p.getAsBigDecimal();
            return d.stripTrailingZeros().scale() <= 0 ? (Object) d.longValueExact() : (Object) d.doubleValue();
        }
        return p.getAsString();
    }
}
