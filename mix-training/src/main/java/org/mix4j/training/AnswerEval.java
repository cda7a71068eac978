package org.mix4j.training;

import com.google.gson.JsonElement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
import org.mix4j.api.RgbImage;
import org.mix4j.pipelines.task.DecodingSettings;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;
import org.mix4j.records.JsonRecordReader;
import org.mix4j.records.RecordPaths;

/**
 * Exact-match accuracy of an understanding (or text) model's answers on LLaVA-format question-answer data:
 * each sample's first user message is asked (with its images) and the model's greedy answer is
 * compared with the first {@code gpt} reply, or, when the sample has an {@code answers} array (as
 * VQA data lists every accepted answer; {@code mix data synth} writes one where two shapes stand one
 * above the other, so that either order of listing them counts), with each of those as well.
 * Samples are grouped by their {@code kind} field when
 * they have one ({@code mix data synth} writes colour, shapes, count, where, yes_no, background),
 * else counted under {@code all}. Answers compare after trimming, lower-casing and collapsing
 * whitespace; where either side holds a Han character all whitespace is dropped (a word-level
 * tokenizer decodes Chinese with a space between words).
 */
public final class AnswerEval {

    /** Right and asked answers of one kind, and the first few wrong ones. */
    public static final class Score {
        private int right;
        private int asked;
        private final List<String> wrong = new ArrayList<>();

        public int right() {
            return right;
        }

        public int asked() {
            return asked;
        }

        public double accuracy() {
            return asked == 0 ? 0 : right / (double) asked;
        }

        /** Up to {@link #EXAMPLES} wrong answers: {@code WHERE: QUESTION -> GOT (want WANT)}. */
        public List<String> wrong() {
            return List.copyOf(wrong);
        }
    }

    /** Wrong answers kept per kind. */
    public static final int EXAMPLES = 3;

    private AnswerEval() {}

    /** What answers a batch of questions: the images of each (empty for none) and its user message. */
    @FunctionalInterface
    private interface Answerer {
        List<String> answer(List<List<RgbImage>> images, List<String> prompts);
    }

    /**
     * Answers every sample of {@code file} with an understanding model, {@code batch} at a time.
     *
     * @param progress told the number of samples answered after each batch, or {@code null}
     * @return kind -> score, kinds in alphabetical order, {@code all} last when it is used
     */
    public static Map<String, Score> evaluate(UnderstandingPipeline vlm, Path file, DecodingSettings settings, int batch,
            IntConsumer progress) {
        return evaluate((images, prompts) -> {
            List<UnderstandingPipeline.Request> requests = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                requests.add(new UnderstandingPipeline.Request(images.get(i), prompts.get(i)));
            }
            return vlm.answer(requests, settings, null).texts();
        }, true, file, batch, progress);
    }

    /**
     * The same with a {@code task: text} model, for questions without images (a sample with an image is
     * an error naming its file and line: the model could not see it).
     */
    public static Map<String, Score> evaluate(TextPipeline text, Path file, DecodingSettings settings, int batch,
            IntConsumer progress) {
        return evaluate((images, prompts) -> text.generateAll(prompts, settings, null).texts(), false, file, batch,
                progress);
    }

    private static Map<String, Score> evaluate(Answerer answerer, boolean seesImages, Path file, int batch,
            IntConsumer progress) {
        List<JsonRecordReader.Entry> rows = JsonRecords.read(file); // read once: the samples and their kinds
        Path base = RecordPaths.base(file);
        List<ConversationData.Sample> samples = rows.stream().map(r -> ConversationData.sample(r, base)).toList();
        List<List<String>> accepted = rows.stream().map(AnswerEval::accepted).toList();
        if (!seesImages) { // before any answer: the first such sample, not one batch in
            samples.stream().filter(s -> !s.images().isEmpty()).findFirst().ifPresent(s -> {
                throw new IllegalArgumentException(s.where() + ": the question comes with an image, which a task: "
                        + "text pipeline cannot see (ask it through a task: understanding pipeline)");
            });
        }
        // kinds in alphabetical order, "all" (samples without one) last
        Map<String, Score> scores = new TreeMap<>(Comparator.comparing((String k) -> k.equals("all"))
                .thenComparing(Comparator.naturalOrder()));
        Map<Path, RgbImage> pictures = new HashMap<>();
        for (int start = 0; start < samples.size(); start += batch) {
            int end = Math.min(samples.size(), start + batch);
            List<List<RgbImage>> images = new ArrayList<>();
            List<String> prompts = new ArrayList<>();
            for (ConversationData.Sample s : samples.subList(start, end)) {
                List<RgbImage> own = new ArrayList<>();
                for (Path p : s.images()) {
                    if (!pictures.containsKey(p)) {
                        if (pictures.size() > 256) {
                            pictures.clear(); // questions about one picture come together; keep memory bounded
                        }
                        pictures.put(p, JsonRecords.image(s.where(), p));
                    }
                    own.add(pictures.get(p));
                }
                images.add(own);
                prompts.add(first(s, "user").text());
            }
            List<String> answers = answerer.answer(images, prompts);
            for (int i = start; i < end; i++) {
                ConversationData.Sample s = samples.get(i);
                String want = first(s, "assistant").text();
                String got = answers.get(i - start);
                Score score = scores.computeIfAbsent(kind(rows.get(i)), k -> new Score());
                score.asked++;
                if (same(got, want) || accepted.get(i).stream().anyMatch(a -> same(got, a))) {
                    score.right++;
                } else if (score.wrong.size() < EXAMPLES) {
                    score.wrong.add(s.where() + ": " + first(s, "user").text().replace("\n", " ") + " -> " + got.strip()
                            + " (want " + want.strip() + ")");
                }
            }
            if (progress != null) {
                progress.accept(end);
            }
        }
        return scores;
    }

    /** Whether an answer matches the reference (see the class comment). */
    public static boolean same(String got, String want) {
        boolean han = hasHan(got) || hasHan(want);
        return normal(got, han).equals(normal(want, han));
    }

    private static String normal(String s, boolean han) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        return han ? t.replaceAll("\\s+", "") : t.replaceAll("\\s+", " ");
    }

    private static boolean hasHan(String s) {
        return s.codePoints().anyMatch(c -> Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN);
    }

    /** A sample's {@code answers} (none when it has none); an error naming its line when not an array of strings. */
    private static List<String> accepted(JsonRecordReader.Entry row) {
        JsonElement answers = row.json().isJsonObject() ? row.json().getAsJsonObject().get("answers") : null;
        if (answers == null || answers.isJsonNull()) {
            return List.of();
        }
        if (!answers.isJsonArray() || !answers.getAsJsonArray().asList().stream()
                .allMatch(a -> a.isJsonPrimitive() && a.getAsJsonPrimitive().isString())) {
            throw new IllegalArgumentException(row.where() + ": \"answers\" must be an array of strings (every accepted "
                    + "answer), got " + answers);
        }
        return answers.getAsJsonArray().asList().stream().map(JsonElement::getAsString).toList();
    }

    private static String kind(JsonRecordReader.Entry row) {
        var kind = row.json().isJsonObject() ? row.json().getAsJsonObject().get("kind") : null;
        return kind != null && kind.isJsonPrimitive() ? kind.getAsString() : "all";
    }

    private static ConversationData.Turn first(ConversationData.Sample s, String role) {
        return s.turns().stream().filter(t -> t.role().equals(role)).findFirst().orElseThrow(
                () -> new IllegalArgumentException(s.where() + ": no " + role + " message to evaluate"));
    }
}
