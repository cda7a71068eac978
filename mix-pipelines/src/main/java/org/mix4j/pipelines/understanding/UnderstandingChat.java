package org.mix4j.pipelines.understanding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.api.LanguageModel;
import org.mix4j.api.RgbImage;
import org.mix4j.api.Tokenizer;
import org.mix4j.pipelines.chat.ChatModel;
import org.mix4j.pipelines.chat.ChatPrompt;
import org.mix4j.pipelines.chat.ChatTurn;
import org.mix4j.pipelines.understanding.PromptBuilder.Message;

/**
 * An {@link UnderstandingPipeline} as a chat model: images may come with any user message; each
 * image is encoded once, when it first appears, and its features are kept until its turn leaves
 * the conversation.
 */
final class UnderstandingChat implements ChatModel {

    private final UnderstandingPipeline pipeline;
    private final NDManager features;
    private final Map<RgbImage, NDArray> encoded = new IdentityHashMap<>();
    private final Map<RgbImage, Long> names = new IdentityHashMap<>();
    private long nextName = 1;

    UnderstandingChat(UnderstandingPipeline pipeline, NDManager parent) {
        this.pipeline = pipeline;
        this.features = parent.newSubManager();
    }

    @Override
    public LanguageModel llm() {
        return pipeline.llm();
    }

    @Override
    public Tokenizer tokenizer() {
        return pipeline.tokenizer();
    }

    @Override
    public boolean acceptsImages() {
        return true;
    }

    @Override
    public ChatPrompt prompt(List<ChatTurn> turns, String system) {
        List<Message> messages = new ArrayList<>();
        List<RgbImage> images = new ArrayList<>();
        for (ChatTurn t : turns) {
            messages.add(new Message("user", t.user(), t.images().size()));
            images.addAll(t.images());
            if (t.reply() != null) {
                messages.add(new Message("assistant", t.reply(), 0));
            }
        }
        String text = pipeline.prompts().build(messages, system, pipeline.tokenizer());
        int[] counts = images.stream().mapToInt(i -> pipeline.vision().tokens(i.width(), i.height())).toArray();
        long imageToken = pipeline.imageTokenId();
        long[] ids = ImageSplice.expand(pipeline.tokenizer().encode(text), imageToken, counts);
        long[] keys = ids.clone();
        int image = 0;
        int left = counts.length == 0 ? 0 : counts[0];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imageToken) {
                while (left == 0) {
                    left = counts[++image];
                }
                keys[i] = -name(images.get(image)); // same image at the same place: same prefix
                left--;
            }
        }
        return new ChatPrompt(ids, keys, (from, scope) -> {
            NDArray all = ImageSplice.embed(pipeline.llm(), ids, imageToken, features(images), scope); // [T, D]
            return all.get(new NDIndex(from + ":")).expandDims(0);
        });
    }

    private long name(RgbImage image) {
        return names.computeIfAbsent(image, i -> nextName++);
    }

    private List<NDArray> features(List<RgbImage> images) {
        List<RgbImage> missing = images.stream().filter(i -> !encoded.containsKey(i)).distinct().toList();
        if (!missing.isEmpty()) {
            List<NDArray> fresh = pipeline.vision().encode(missing, features);
            for (int i = 0; i < missing.size(); i++) {
                encoded.put(missing.get(i), fresh.get(i));
            }
        }
        return images.stream().map(encoded::get).toList();
    }

    @Override
    public void retain(List<ChatTurn> kept) {
        Set<RgbImage> live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        kept.forEach(t -> live.addAll(t.images()));
        encoded.entrySet().removeIf(e -> {
            if (!live.contains(e.getKey())) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        names.keySet().retainAll(live);
    }

    @Override
    public void close() {
        features.close();
    }
}
