package org.mix4j.tiling;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.mix4j.api.Role;
import org.mix4j.api.Tiler;
import org.mix4j.config.ConfigException;
import org.mix4j.registry.ComponentContext;
import org.mix4j.registry.ComponentFactory;
import org.mix4j.weights.Checkpoint;
import org.mix4j.weights.TensorInfo;
import org.pf4j.Extension;

/** Registry entries of the built-in tilers. */
public final class TilerFactories {

    private TilerFactories() {}

    /** {@code anyres}: defaults from a LLaVA-NeXT / OneVision {@code config.json}. */
    @Extension
    public static final class AnyResFactory implements ComponentFactory<AnyResTilerConfig, Tiler> {
        @Override
        public String type() {
            return "anyres";
        }

        @Override
        public Role role() {
            return Role.TILER;
        }

        @Override
        public Class<AnyResTilerConfig> configType() {
            return AnyResTilerConfig.class;
        }

        @Override
        public JsonObject configDefaults(JsonObject config) {
            JsonObject d = new JsonObject();
            if (config.has("image_grid_pinpoints")) {
                d.add("grid_pinpoints", config.get("image_grid_pinpoints"));
            }
            JsonElement vision = config.get("vision_config");
            if (vision != null && vision.isJsonObject() && vision.getAsJsonObject().has("image_size")) {
                d.add("tile_size", vision.getAsJsonObject().get("image_size"));
            }
            JsonElement ratio = config.get("vision_aspect_ratio");
            if (ratio != null && ratio.isJsonPrimitive() && ratio.getAsString().startsWith("anyres_max_")) {
                d.addProperty("max_patches", Integer.parseInt(ratio.getAsString().substring("anyres_max_".length())));
            }
            return d;
        }

        /** Loads the checkpoint's newline tensor when the config asks for one. */
        @Override
        public Tiler create(AnyResTilerConfig config, ComponentContext context) {
            return new AnyResTiler(config, config.newline() ? newline(config.newlineTensor(), context) : null);
        }

        private static NDArray newline(String tensor, ComponentContext context) {
            if (context.directory() == null) {
                throw new ConfigException("pipeline", 0, 0, "tiling", "anyres with a newline needs the checkpoint's '"
                        + tensor + "' tensor; set 'checkpoint:' or 'tiling: {newline: false}'", null);
            }
            try (Checkpoint c = Checkpoint.open(context.directory())) {
                TensorInfo info = c.tensors().get(tensor);
                if (info == null || info.shape().dimension() != 1) {
                    throw new ConfigException("pipeline", 0, 0, "tiling.newline_tensor", "the checkpoint has no "
                            + (info == null ? "" : "one-dimensional ") + "tensor '" + tensor + "'"
                            + (info == null ? "" : " (it is " + info.shape() + ")")
                            + "; name it with 'tiling: {newline_tensor: ...}' or set 'tiling: {newline: false}'", null);
                }
                return c.weights(context.manager(), context.dtype()).get(tensor, info.shape());
            }
        }

        @Override
        public String description() {
            return "LLaVA-NeXT grid tiling: base image + best-fit grid, unpadded features, newline per row";
        }
    }

    /** {@code dynamic}: InternVL tiling. */
    @Extension
    public static final class DynamicFactory implements ComponentFactory<DynamicTiler.Config, Tiler> {
        @Override
        public String type() {
            return "dynamic";
        }

        @Override
        public Role role() {
            return Role.TILER;
        }

        @Override
        public Class<DynamicTiler.Config> configType() {
            return DynamicTiler.Config.class;
        }

        @Override
        public JsonObject configDefaults(JsonObject config) {
            JsonObject d = new JsonObject();
            copy(config, "min_dynamic_patch", d, "min_tiles");
            copy(config, "max_dynamic_patch", d, "max_tiles");
            copy(config, "force_image_size", d, "tile_size");
            copy(config, "use_thumbnail", d, "use_thumbnail");
            return d;
        }

        @Override
        public Tiler create(DynamicTiler.Config config, ComponentContext context) {
            return new DynamicTiler(config);
        }

        @Override
        public String description() {
            return "InternVL tiling: closest-aspect grid of square tiles + thumbnail";
        }
    }

    /** {@code none}: one tile per image. */
    @Extension
    public static final class NoneFactory implements ComponentFactory<NoTiler.Config, Tiler> {
        @Override
        public String type() {
            return "none";
        }

        @Override
        public Role role() {
            return Role.TILER;
        }

        @Override
        public Class<NoTiler.Config> configType() {
            return NoTiler.Config.class;
        }

        @Override
        public Tiler create(NoTiler.Config config, ComponentContext context) {
            return new NoTiler();
        }

        @Override
        public String description() {
            return "no tiling: the image processor resizes the whole image";
        }
    }

    private static void copy(JsonObject from, String key, JsonObject to, String as) {
        if (from.has(key) && !from.get(key).isJsonNull()) {
            to.add(as, from.get(key));
        }
    }
}
