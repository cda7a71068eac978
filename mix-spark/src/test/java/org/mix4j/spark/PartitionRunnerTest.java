package org.mix4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;

/** The batch logic of {@link PartitionRunner}: which rows get results and which an error. */
class PartitionRunnerTest {

    /** Upper-cases prompts; a batch holding "boom" fails whole; "bad" rows fail to prepare. */
    static final class Shout implements RowTask<String> {
        final List<Integer> batchSizes = new ArrayList<>();

        @Override
        public List<StructField> columns() {
            return List.of(DataTypes.createStructField("answer", DataTypes.StringType, true));
        }

        @Override
        public String prepare(InputRow row) {
            if (row.prompt().equals("bad")) {
                throw new IllegalArgumentException("cannot read " + row.id());
            }
            return row.prompt();
        }

        @Override
        public List<Object[]> run(List<String> rows) {
            batchSizes.add(rows.size());
            if (rows.contains("boom")) {
                throw new IllegalStateException("the model failed");
            }
            return rows.stream().map(p -> new Object[] {p.toUpperCase()}).toList();
        }
    }

    private static InputRow row(String id, String prompt) {
        return new InputRow(id, null, null, prompt, null, null, null, null);
    }

    @Test
    void aFailingBatchIsRunRowByRowSoOnlyTheFailingRowHasTheError() {
        Shout task = new Shout();
        List<Row> out = new PartitionRunner.Batch<>(task, List.of(row("1", "a"), row("2", "bad"), row("3", "boom"),
                row("4", "d"))).run();
        assertEquals(List.of(3, 1, 1, 1), task.batchSizes, "the batch of three prepared rows, then each alone");
        assertEquals("A", out.get(0).getString(1));
        assertNull(out.get(0).get(3));
        assertTrue(out.get(1).getString(3).contains("cannot read 2"), out.get(1).getString(3));
        assertTrue(out.get(2).getString(3).contains("the model failed"), out.get(2).getString(3));
        assertNull(out.get(2).get(1));
        assertEquals("D", out.get(3).getString(1));
        assertEquals(List.of("1", "2", "3", "4"), out.stream().map(r -> r.getString(0)).toList());
        out.forEach(r -> assertTrue(r.getDouble(2) >= 0));
    }
}
