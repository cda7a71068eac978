package org.mix4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.mix4j.api.RgbImage;
import org.mix4j.image.ImageDecoder;
import org.mix4j.pipelines.decoding.DecodeResult;
import org.mix4j.pipelines.text.TextPipeline;
import org.mix4j.pipelines.understanding.UnderstandingPipeline;

/**
 * {@code task: understanding} (image + prompt) and {@code task: text} (prompt): the answer per row,
 * with the pipeline's {@code generation:} settings. A batch of one row is exactly {@code mix run}'s
 * call (greedy answers are equal); a larger batch is one left-padded batch decode, as
 * {@code mix run --prompt A --prompt B} does.
 */
final class AnswerTask implements RowTask<AnswerTask.Prepared> {

    static final List<StructField> COLUMNS = List.of(
            DataTypes.createStructField("answer", DataTypes.StringType, true),
            DataTypes.createStructField("finish_reason", DataTypes.StringType, true),
            DataTypes.createStructField("tokens", DataTypes.IntegerType, true));

    /** A row ready to answer: its prompt and decoded images (none for text). */
    record Prepared(String prompt, List<RgbImage> images) {}

    private final LoadedPipeline loaded;
    private final JobOptions options;
    private final boolean understanding;
    private final ImageDecoder decoder = new ImageDecoder();

    AnswerTask(LoadedPipeline loaded, JobOptions options) {
        this.loaded = loaded;
        this.options = options;
        this.understanding = loaded.config().task().equals("understanding");
    }

    @Override
    public List<StructField> columns() {
        return COLUMNS;
    }

    @Override
    public Prepared prepare(InputRow row) {
        String prompt = row.prompt(options, true);
        if (!understanding && row.hasImage()) {
            throw new IllegalArgumentException("task: text takes no images");
        }
        return new Prepared(prompt, understanding && row.hasImage()
                ? List.of(row.decode(decoder, options.imageRoot())) : List.of());
    }

    @Override
    public List<Object[]> run(List<Prepared> rows) {
        DecodeResult r;
        if (understanding) {
            UnderstandingPipeline pipeline = loaded.model(UnderstandingPipeline.class);
            List<UnderstandingPipeline.Request> requests = rows.stream()
                    .map(p -> new UnderstandingPipeline.Request(p.images(), p.prompt())).toList();
            r = pipeline.answerWithStats(requests, pipeline.generation(), (row, text) -> {}).result();
        } else {
            TextPipeline pipeline = loaded.model(TextPipeline.class);
            r = pipeline.generateAll(rows.stream().map(Prepared::prompt).toList(), pipeline.settings(), (row, text) -> {});
        }
        List<Object[]> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            out.add(new Object[] {r.texts().get(i), r.finishReasons().get(i).name().toLowerCase(Locale.ROOT),
                    r.tokens().get(i).length});
        }
        return out;
    }
}
