package org.mix4j.pipelines.understanding;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mix4j.api.Tokenizer;
import org.mix4j.config.ConfigException;
import org.mix4j.config.ConfigNode.Origin;

/**
 * Writes the text of a multimodal prompt with one placeholder per image: through a plain
 * {@code prompt_template} when the YAML gives one, else through the checkpoint's chat template with
 * llava-hf style messages (content as a list of {@code image} and {@code text} parts), falling back
 * to plain-string content for templates that want one.
 */
public final class PromptBuilder {

    private final String template;
    private final String systemPrompt;
    private final String placeholder;
    private final Origin origin;

    /**
     * @param template {@code prompt_template} ({@code {prompt}}, {@code {system}} and optional
     *     {@code {image}} are substituted), or {@code null} for the chat template
     * @param origin where {@code prompt_template} is (or would be) written, for errors
     */
    public PromptBuilder(String template, String systemPrompt, String placeholder, Origin origin) {
        this.template = template;
        this.systemPrompt = systemPrompt;
        this.placeholder = placeholder;
        this.origin = origin;
    }

    /** The prompt text for {@code userText} about {@code images} images. */
    public String build(String userText, int images, Tokenizer tokenizer) {
        String text = userText == null ? "" : userText;
        int written = count(text, placeholder);
        if (written != 0 && written != images) {
            throw new IllegalArgumentException("the prompt has " + written + " image placeholder(s) '" + placeholder
                    + "' but " + images + " image(s) were given");
        }
        if (template != null) {
            String withImages = written == 0 && !template.contains("{image}") ? placeholders(images) + text : text;
            return template.replace("{image}", written == 0 ? placeholders(images) : "")
                    .replace("{system}", systemPrompt == null ? "" : systemPrompt)
                    .replace("{prompt}", withImages);
        }
        if (!tokenizer.hasChatTemplate()) {
            throw new ConfigException(origin, "prompt_template", "the tokenizer has no chat template; set a "
                    + "plain prompt_template such as \"USER: {prompt} ASSISTANT:\"", null);
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        if (systemPrompt != null) {
            messages.add(message("system", systemPrompt));
        }
        messages.add(Map.of("role", "user", "content", parts(text, images, written)));
        String rendered = null;
        RuntimeException failure = null;
        try {
            rendered = tokenizer.applyChatTemplate(messages, true);
        } catch (RuntimeException e) {
            failure = e;
        }
        if (rendered == null || count(rendered, placeholder) != images) {
            // a template that expects plain-string content: placeholders go into the text itself
            messages.set(messages.size() - 1,
                    message("user", written == 0 && images > 0 ? placeholders(images) + text : text));
            try {
                rendered = tokenizer.applyChatTemplate(messages, true);
            } catch (RuntimeException e) {
                throw failure != null ? failure : e;
            }
        }
        if (count(rendered, placeholder) != images) {
            throw new IllegalArgumentException("the chat template wrote " + count(rendered, placeholder)
                    + " image placeholder(s) for " + images + " image(s); set prompt_template to control the prompt");
        }
        return rendered;
    }

    /** Content parts: the user's placeholders become image parts in place; else images come first. */
    private List<Map<String, Object>> parts(String text, int images, int written) {
        List<Map<String, Object>> parts = new ArrayList<>();
        if (written == 0) {
            for (int i = 0; i < images; i++) {
                parts.add(Map.of("type", "image"));
            }
            parts.add(textPart(text));
            return parts;
        }
        String[] pieces = text.split(java.util.regex.Pattern.quote(placeholder), -1);
        for (int i = 0; i < pieces.length; i++) {
            if (!pieces[i].isEmpty()) {
                parts.add(textPart(pieces[i]));
            }
            if (i < pieces.length - 1) {
                parts.add(Map.of("type", "image"));
            }
        }
        return parts;
    }

    private String placeholders(int images) {
        return (placeholder + "\n").repeat(images);
    }

    private static Map<String, Object> textPart(String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "text");
        m.put("text", text);
        return m;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    static int count(String text, String token) {
        int n = 0;
        for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
            n++;
        }
        return n;
    }
}
