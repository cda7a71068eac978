package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mix4j.api.ProgressListener;
import org.mix4j.pipelines.task.PipelineConfig;
import org.mix4j.pipelines.task.RunOptions;
import org.mix4j.pipelines.task.TaskRunner;
import org.mix4j.pipelines.text.TextTaskRunner;
import org.mix4j.pipelines.understanding.UnderstandingTaskRunner;

/** {@code task: understanding} over Parquet and {@code task: text} over JSONL, against {@code mix run}'s code path. */
class AnswerJobTest {

    private static final String[] PROMPTS = {"What is in the picture?", "Describe the colours.", "Is it day or night?"};

    @TempDir
    Path tmp;

    @Test
    void understandingAnswersEqualMixRunAndAMissingImageIsAnErrorRow() throws Exception {
        String pipeline = "examples/understanding/tiny-llava.yaml";
        Path images = tmp.resolve("images");
        List<String> names = List.of("a.png", "b.png", "c.png");
        for (int i = 0; i < names.size(); i++) {
            LocalSpark.writePng(images.resolve(names.get(i)), 30 + 10 * i, 40 - 5 * i, 100 + i);
        }
        StructType schema = new StructType().add("key", DataTypes.LongType).add("picture", DataTypes.StringType)
                .add("question", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        int n = 30;
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create((long) i, names.get(i % 3), PROMPTS[i / 3 % 3]));
        }
        rows.add(RowFactory.create((long) n, "missing.png", PROMPTS[0]));
        Path input = images.resolve("requests.parquet"); // relative image paths resolve against its folder
        LocalSpark.session().createDataFrame(rows, schema).repartition(2).write().parquet(input.toString());
        Path output = tmp.resolve("answers.parquet");
        JobOptions job = LocalSpark.job(pipeline, input, output)
                .columns(new JobOptions.Columns("key", "picture", "question", "text", "seed")).build();
        BatchInference.Summary summary = BatchInference.run(LocalSpark.session(), job);
        System.out.println("understanding, " + (n + 1) + " rows: " + summary.describe());

        Map<String, Row> byId = read(output);
        assertEquals(n + 1, byId.size());
        Row missing = byId.get(String.valueOf(n));
        assertTrue(missing.getString(missing.fieldIndex("error")).contains("missing.png"));
        assertNull(missing.get(missing.fieldIndex("answer")));
        for (int i = 0; i < 9; i += 4) { // every image and every prompt once (mix run loads the model each time)
            Row row = byId.get(String.valueOf(i));
            String name = names.get(i % 3);
            String prompt = PROMPTS[i / 3 % 3];
            String want = mixRun(new UnderstandingTaskRunner(), pipeline, List.of(images.resolve(name)), prompt);
            assertNull(row.get(row.fieldIndex("error")));
            assertEquals(want, row.getString(row.fieldIndex("answer")), "row " + i);
            assertEquals(want, byId.get(String.valueOf(i + 9)).getString(row.fieldIndex("answer")), "row " + (i + 9));
        }
    }

    @Test
    void textAnswersEqualMixRun() throws Exception {
        String pipeline = "examples/serve/tiny-text.yaml";
        Path input = tmp.resolve("prompts.jsonl");
        List<String> lines = new ArrayList<>();
        String[] prompts = {"what color is the red car ?", "the cat sat", "hello"};
        for (int i = 0; i < 12; i++) {
            lines.add("{\"id\": \"p" + i + "\", \"prompt\": \"" + prompts[i % 3] + "\"}");
        }
        Files.write(input, lines);
        Path output = tmp.resolve("text.parquet");
        BatchInference.Summary summary = BatchInference.run(LocalSpark.session(),
                LocalSpark.job(pipeline, input, output).batchSize(1).build());
        System.out.println("text, 12 rows: " + summary.describe());
        Map<String, Row> byId = read(output);
        assertEquals(12, byId.size());
        for (int i = 0; i < 3; i++) {
            String want = mixRun(new TextTaskRunner(), pipeline, List.of(), prompts[i]);
            for (int k = i; k < 12; k += 3) {
                Row row = byId.get("p" + k);
                assertNotNull(row.getString(row.fieldIndex("answer")));
                assertEquals(want, row.getString(row.fieldIndex("answer")), "p" + k);
            }
        }
    }

    private static Map<String, Row> read(Path output) {
        Map<String, Row> byId = new HashMap<>();
        for (Row r : LocalSpark.session().read().parquet(output.toString()).collectAsList()) {
            byId.put(r.getString(r.fieldIndex("id")), r);
        }
        return byId;
    }

    /** What {@code mix run PIPELINE --image ... --prompt P} prints, without the final line break. */
    private static String mixRun(TaskRunner runner, String pipeline, List<Path> images, String prompt) {
        StringWriter out = new StringWriter();
        try (PrintWriter w = new PrintWriter(out); PrintWriter err = new PrintWriter(new StringWriter())) {
            PipelineConfig config = PipelineConfig.load(LocalSpark.ROOT.resolve(pipeline));
            runner.run(config, new RunOptions(images, List.of(prompt), null, false, false, null, false),
                    LocalSpark.runtime().loader(), w, err, ProgressListener.NONE);
        } catch (Exception e) {
            throw new IllegalStateException("mix run failed: " + e, e);
        }
        String text = out.toString();
        return text.endsWith(System.lineSeparator()) ? text.substring(0, text.length() - System.lineSeparator().length()) : text;
    }
}
