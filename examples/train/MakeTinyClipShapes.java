import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes the untrained starting point of examples/models/tiny-clip-shapes: a transformers CLIPModel
 * folder (config.json, model.safetensors with seeded random weights initialised as CLIPModel's
 * _init_weights does, but for the vision position grid of {@link #gridPositions}, preprocessor_config.json) and its word-level tokenizer (tokenizer.json,
 * tokenizer_config.json, special_tokens_map.json), whose vocabulary is the words of
 * `mix data synth`'s English and Chinese captions (mix-data's Colour, ShapeKind and SceneText).
 * Deterministic: the same files byte for byte on every run.
 *
 *   java examples/train/MakeTinyClipShapes.java runs/tiny-clip-shapes-init
 *
 * The tokenizer lowercases, splits on whitespace, then isolates punctuation and the known Chinese
 * words (longest first; any other Han character stands alone), so "白色背景上有一个红色圆形" is
 * 白色 背景 上 有 一个 红色 圆形. Unknown words become <|unk|>. Like CLIP's, it writes
 * <|startoftext|> ... <|endoftext|>, pads with <|endoftext|> and the text tower pools at the first
 * <|endoftext|>.
 */
public class MakeTinyClipShapes {

    // the generator's words (mix-data org.mix4j.data.synth): keep in step with Colour, ShapeKind, SceneText
    static final String[] COLOURS = {"red", "green", "blue", "yellow", "orange", "purple", "black", "white"};
    static final String[] COLOURS_ZH = {"红色", "绿色", "蓝色", "黄色", "橙色", "紫色", "黑色", "白色"};
    static final String[] KINDS = {"circle", "square", "triangle", "star", "ring"};
    static final String[] KINDS_ZH = {"圆形", "正方形", "三角形", "星形", "圆环"};
    static final String[] GLUE = {"a", "an", "and", "on", "background", ","};
    static final String[] GLUE_ZH = {"背景", "上", "有", "一个", "和", "、"};

    // the architecture (CLIP ViT, tiny): 64 px images in 8 px patches, 64-wide towers, 64-dim embeddings
    static final int HIDDEN = 64, INTERMEDIATE = 256, HEADS = 4, PROJECTION = 64;
    static final int VISION_LAYERS = 3, TEXT_LAYERS = 2, IMAGE = 64, PATCH = 8, POSITIONS = 32;
    static final long SEED = 17;

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--chat-tokenizer")) {
            writeChatTokenizer(Path.of(args[1]));
            return;
        }
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/tiny-clip-shapes-init");
        Files.createDirectories(dir);
        List<String> vocab = vocabulary();
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(vocab));
        writeTokenizerConfig(dir, "", POSITIONS, false);
        Files.writeString(dir.resolve("config.json"), configJson(vocab.size()));
        Files.writeString(dir.resolve("preprocessor_config.json"), """
                {
                  "image_processor_type": "CLIPImageProcessor",
                  "do_resize": true,
                  "size": {"height": %d, "width": %d},
                  "resample": 3,
                  "do_center_crop": false,
                  "crop_size": {"height": %d, "width": %d},
                  "do_rescale": true,
                  "rescale_factor": 0.00392156862745098,
                  "do_normalize": true,
                  "image_mean": [0.48145466, 0.4578275, 0.40821073],
                  "image_std": [0.26862954, 0.26130258, 0.27577711],
                  "do_convert_rgb": true
                }
                """.formatted(IMAGE, IMAGE, IMAGE, IMAGE));
        writeSafetensors(dir.resolve("model.safetensors"), weights(vocab.size()));
        System.out.println("wrote " + dir + ": vocabulary " + vocab.size() + " tokens");
    }

    /** Special tokens first (ids 0-2), then the English words, then the Chinese ones. */
    static List<String> vocabulary() {
        List<String> v = new ArrayList<>(List.of("<|startoftext|>", "<|endoftext|>", "<|unk|>"));
        for (String[] words : new String[][] {GLUE, COLOURS, KINDS, GLUE_ZH, COLOURS_ZH, KINDS_ZH}) {
            v.addAll(List.of(words));
        }
        return v;
    }

    // the words of the generator's questions and answers (SceneText; SynthWriter's "Describe the picture.");
    // NFKC turns the full-width question mark into "?"
    static final String[] CHAT_SPECIAL = {"<|startoftext|>", "<|endoftext|>", "<|unk|>", "<image>", "<|user|>", "<|assistant|>"};
    static final String[] QA = {"describe", "the", "picture", ".", "what", "colour", "is", "which", "shapes", "are", "in",
        "how", "many", "there", "?", "where", "left", "right", "top", "bottom", "yes", "no", "zero", "one", "two", "three"};
    static final String[] QA_ZH = {"描述", "这张", "图片", "。", "是", "什么", "颜色", "图中", "哪些", "形状", "几个",
        "在", "哪里", "左边", "右边", "上边", "下边", "没有", "吗", "零个", "两个", "三个"};

    /**
     * The word-level tokenizer of examples/models/tiny-vlm-shapes: the caption words, the words of
     * the questions and answers, and the chat tokens; its chat template writes
     * {@code <|startoftext|> <|user|> <image> question <|assistant|> answer <|endoftext|>}, and no
     * start or end token is added to an encoded text (the template writes them).
     */
    static void writeChatTokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> vocab = new ArrayList<>(List.of(CHAT_SPECIAL));
        for (String[] words : new String[][] {GLUE, COLOURS, KINDS, QA, GLUE_ZH, COLOURS_ZH, KINDS_ZH, QA_ZH}) {
            for (String w : words) {
                if (!vocab.contains(w)) {
                    vocab.add(w);
                }
            }
        }
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(vocab, CHAT_SPECIAL.length, null));
        String template = "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}<|user|> "
                + "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for item in message['content'] %}"
                + "{% if item['type'] == 'image' %}<image> {% else %}{{ item['text'] }}{% endif %}{% endfor %}{% endif %} "
                + "{% elif message['role'] == 'assistant' %}<|assistant|> {{ message['content'] }} {{ eos_token }} "
                + "{% endif %}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";
        writeTokenizerConfig(dir, "  \"add_bos_token\": false,\n  \"add_eos_token\": false,\n  \"chat_template\": "
                + quote(template) + ",\n", 128, true);
        System.out.println("wrote " + dir + ": vocabulary " + vocab.size() + " tokens");
    }

    /** tokenizer_config.json ({@code extra}: whole lines of further keys) and special_tokens_map.json. */
    static void writeTokenizerConfig(Path dir, String extra, int maxLength, boolean cleanUpSpaces) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {
                  "tokenizer_class": "PreTrainedTokenizerFast",
                  "bos_token": "<|startoftext|>",
                  "eos_token": "<|endoftext|>",
                  "pad_token": "<|endoftext|>",
                  "unk_token": "<|unk|>",
                %s  "model_max_length": %d,
                  "clean_up_tokenization_spaces": %s
                }
                """.formatted(extra, maxLength, cleanUpSpaces));
        Files.writeString(dir.resolve("special_tokens_map.json"), """
                {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|unk|>"}
                """);
    }

    /** The CLIP tokenizer: three special tokens, start and end added around every text. */
    static String tokenizerJson(List<String> vocab) {
        return tokenizerJson(vocab, 3, """
                {"type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                               {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                    "pair": [{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                             {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 1}}],
                    "special_tokens": {
                      "<|startoftext|>": {"id": "<|startoftext|>", "ids": [0], "tokens": ["<|startoftext|>"]},
                      "<|endoftext|>": {"id": "<|endoftext|>", "ids": [1], "tokens": ["<|endoftext|>"]}
                    }}""");
    }

    /**
     * @param specials the first so many tokens are added special tokens
     * @param postProcessor JSON, or null: nothing added (and the decoder then cleans up the spaces before punctuation)
     */
    static String tokenizerJson(List<String> vocab, int specials, String postProcessor) {
        List<String> chinese = new ArrayList<>();
        for (String w : vocab) {
            if (Character.UnicodeScript.of(w.codePointAt(0)) == Character.UnicodeScript.HAN) {
                chinese.add(w);
            }
        }
        chinese.sort((a, b) -> b.length() != a.length() ? b.length() - a.length() : a.compareTo(b));
        String pattern = String.join("|", chinese) + "|\\p{Han}|[^\\p{L}\\p{N}\\s]";
        StringBuilder added = new StringBuilder();
        StringBuilder model = new StringBuilder();
        for (int i = 0; i < vocab.size(); i++) {
            if (i < specials) {
                added.append(i == 0 ? "" : ",\n    ").append("{\"id\": ").append(i).append(", \"content\": ")
                        .append(quote(vocab.get(i))).append(", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, "
                                + "\"normalized\": false, \"special\": true}");
            }
            model.append(i == 0 ? "" : ",\n      ").append(quote(vocab.get(i))).append(": ").append(i);
        }
        return """
                {
                  "version": "1.0",
                  "truncation": null,
                  "padding": null,
                  "added_tokens": [
                    %s
                  ],
                  "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]},
                  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "WhitespaceSplit"},
                    {"type": "Split", "pattern": {"Regex": %s}, "behavior": "Isolated", "invert": false}
                  ]},
                  "post_processor": %s,
                  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": %s},
                  "model": {"type": "WordLevel", "unk_token": "<|unk|>", "vocab": {
                      %s
                  }}
                }
                """.formatted(added, quote(pattern), postProcessor, postProcessor == null, model);
    }

    static String configJson(int vocabSize) {
        return """
                {
                  "architectures": ["CLIPModel"],
                  "model_type": "clip",
                  "initializer_factor": 1.0,
                  "logit_scale_init_value": 2.6592,
                  "projection_dim": %d,
                  "torch_dtype": "float32",
                  "text_config": {
                    "model_type": "clip_text_model",
                    "vocab_size": %d,
                    "hidden_size": %d,
                    "intermediate_size": %d,
                    "num_hidden_layers": %d,
                    "num_attention_heads": %d,
                    "max_position_embeddings": %d,
                    "hidden_act": "quick_gelu",
                    "layer_norm_eps": 1e-05,
                    "bos_token_id": 0,
                    "eos_token_id": 1,
                    "pad_token_id": 1,
                    "projection_dim": %d
                  },
                  "vision_config": {
                    "model_type": "clip_vision_model",
                    "hidden_size": %d,
                    "intermediate_size": %d,
                    "num_hidden_layers": %d,
                    "num_attention_heads": %d,
                    "image_size": %d,
                    "patch_size": %d,
                    "num_channels": 3,
                    "hidden_act": "quick_gelu",
                    "layer_norm_eps": 1e-05,
                    "projection_dim": %d
                  }
                }
                """.formatted(PROJECTION, vocabSize, HIDDEN, INTERMEDIATE, TEXT_LAYERS, HEADS, POSITIONS, PROJECTION,
                HIDDEN, INTERMEDIATE, VISION_LAYERS, HEADS, IMAGE, PATCH, PROJECTION);
    }

    /** CLIPModel's tensors, initialised as transformers' CLIPPreTrainedModel._init_weights (factor 1). */
    static Map<String, float[][]> weights(int vocabSize) {
        Random random = new Random(SEED);
        Map<String, float[][]> w = new LinkedHashMap<>(); // name -> {shape as floats, values}
        double range = 0.02;
        put(w, "logit_scale", new int[] {}, constant(1, 2.6592f));
        put(w, "text_model.embeddings.token_embedding.weight", new int[] {vocabSize, HIDDEN}, normal(random, vocabSize * HIDDEN, range));
        put(w, "text_model.embeddings.position_embedding.weight", new int[] {POSITIONS, HIDDEN}, normal(random, POSITIONS * HIDDEN, range));
        layers(w, random, "text_model.encoder.layers.", TEXT_LAYERS);
        layerNorm(w, "text_model.final_layer_norm");
        put(w, "text_projection.weight", new int[] {PROJECTION, HIDDEN}, normal(random, PROJECTION * HIDDEN, Math.pow(HIDDEN, -0.5)));
        int patches = (IMAGE / PATCH) * (IMAGE / PATCH) + 1;
        put(w, "vision_model.embeddings.class_embedding", new int[] {HIDDEN}, normal(random, HIDDEN, Math.pow(HIDDEN, -0.5)));
        put(w, "vision_model.embeddings.patch_embedding.weight", new int[] {HIDDEN, 3, PATCH, PATCH},
                normal(random, HIDDEN * 3 * PATCH * PATCH, range));
        float[] positions = normal(random, patches * HIDDEN, range);
        gridPositions(positions);
        put(w, "vision_model.embeddings.position_embedding.weight", new int[] {patches, HIDDEN}, positions);
        layerNorm(w, "vision_model.pre_layrnorm");
        layers(w, random, "vision_model.encoder.layers.", VISION_LAYERS);
        layerNorm(w, "vision_model.post_layernorm");
        put(w, "visual_projection.weight", new int[] {PROJECTION, HIDDEN}, normal(random, PROJECTION * HIDDEN, Math.pow(HIDDEN, -0.5)));
        return w;
    }

    /**
     * The patch rows of the vision position table (row 0, the class token's, keeps its random values)
     * as a 2-D sine-cosine grid at amplitude {@value #GRID_AMPLITUDE}, the size of a patch embedding:
     * a quarter of the width each for sin and cos of the patch's row and of its column, at
     * frequencies {@code 100^(-i/(HIDDEN/4))}, so every patch knows its place from the start. From
     * std 0.02 the positions stayed small: in the VLM trained on that tower every background patch
     * had the same features wherever it lay. The shipped model was trained from this grid
     * (docs/training.md).
     */
    static void gridPositions(float[] table) {
        int side = IMAGE / PATCH;
        int q = HIDDEN / 4;
        for (int p = 0; p < side * side; p++) {
            int[] at = {p / side, p % side};
            for (int axis = 0; axis < 2; axis++) {
                for (int i = 0; i < q; i++) {
                    double angle = at[axis] * Math.pow(100, -i / (double) q);
                    table[(p + 1) * HIDDEN + axis * 2 * q + i] = (float) (GRID_AMPLITUDE * Math.sin(angle));
                    table[(p + 1) * HIDDEN + axis * 2 * q + q + i] = (float) (GRID_AMPLITUDE * Math.cos(angle));
                }
            }
        }
    }

    static final double GRID_AMPLITUDE = 0.5;

    static void layers(Map<String, float[][]> w, Random random, String prefix, int count) {
        double inProj = Math.pow(HIDDEN, -0.5) * Math.pow(2.0 * count, -0.5);
        double outProj = Math.pow(HIDDEN, -0.5);
        double fc = Math.pow(2.0 * HIDDEN, -0.5);
        for (int l = 0; l < count; l++) {
            String p = prefix + l + ".";
            for (String m : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                double std = m.equals("out_proj") ? outProj : inProj;
                put(w, p + "self_attn." + m + ".weight", new int[] {HIDDEN, HIDDEN}, normal(random, HIDDEN * HIDDEN, std));
                put(w, p + "self_attn." + m + ".bias", new int[] {HIDDEN}, constant(HIDDEN, 0));
            }
            layerNorm(w, p + "layer_norm1");
            put(w, p + "mlp.fc1.weight", new int[] {INTERMEDIATE, HIDDEN}, normal(random, INTERMEDIATE * HIDDEN, fc));
            put(w, p + "mlp.fc1.bias", new int[] {INTERMEDIATE}, constant(INTERMEDIATE, 0));
            put(w, p + "mlp.fc2.weight", new int[] {HIDDEN, INTERMEDIATE}, normal(random, HIDDEN * INTERMEDIATE, inProj));
            put(w, p + "mlp.fc2.bias", new int[] {HIDDEN}, constant(HIDDEN, 0));
            layerNorm(w, p + "layer_norm2");
        }
    }

    static void layerNorm(Map<String, float[][]> w, String name) {
        put(w, name + ".weight", new int[] {HIDDEN}, constant(HIDDEN, 1));
        put(w, name + ".bias", new int[] {HIDDEN}, constant(HIDDEN, 0));
    }

    static void put(Map<String, float[][]> w, String name, int[] shape, float[] values) {
        float[] s = new float[shape.length];
        for (int i = 0; i < shape.length; i++) {
            s[i] = shape[i];
        }
        w.put(name, new float[][] {s, values});
    }

    static float[] normal(Random random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    static float[] constant(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    /** safetensors: u64 little-endian header length, the JSON header (names sorted), F32 data. */
    static void writeSafetensors(Path file, Map<String, float[][]> tensors) throws IOException {
        List<String> names = new ArrayList<>(tensors.keySet());
        names.sort(null);
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (String name : names) {
            float[][] t = tensors.get(name);
            StringBuilder shape = new StringBuilder();
            for (float d : t[0]) {
                shape.append(shape.length() == 0 ? "" : ",").append((int) d);
            }
            long end = offset + 4L * t[1].length;
            header.append(header.length() == 1 ? "" : ",").append(quote(name)).append(":{\"dtype\":\"F32\",\"shape\":[")
                    .append(shape).append("],\"data_offsets\":[").append(offset).append(",").append(end).append("]}");
            offset = end;
        }
        header.append("}");
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate((int) (8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (String name : names) {
            for (float v : tensors.get(name)[1]) {
                out.putFloat(v);
            }
        }
        Files.write(file, out.array());
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
