package org.mix4j.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.mix4j.image.ImageDecodeException;

/**
 * The executor side of a job: the rows of one partition through the JVM's cached pipeline, in
 * batches, lazily (a partition is never held whole). Every input row gives one output row:
 * {@code id}, the task's columns, {@code ms} (the row's own preparation plus its share of its
 * batch's model time) and {@code error}. A row that fails (an image that does not decode, a missing
 * file, a model error on that row alone) gets its error and null results; the others go on.
 */
final class PartitionRunner implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;
    private static final AtomicLong MODEL_ROWS = new AtomicLong();

    private final JobOptions options;
    private final LongAccumulator rowsOut;
    private final LongAccumulator errorsOut;

    PartitionRunner(JobOptions options, LongAccumulator rowsOut, LongAccumulator errorsOut) {
        this.options = options;
        this.rowsOut = rowsOut;
        this.errorsOut = errorsOut;
    }

    /** Rows this JVM has given to a model (tests count what a rerun does). */
    static long modelRows() {
        return MODEL_ROWS.get();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        RowTask<?> task = RowTask.of(PipelineCache.get(options), options);
        int batchSize = options.batchSize() > 0 ? options.batchSize() : task.defaultBatchSize();
        return new Iterator<>() {
            private Iterator<Row> pending = List.<Row>of().iterator();

            @Override
            public boolean hasNext() {
                while (!pending.hasNext() && input.hasNext()) {
                    List<InputRow> batch = new ArrayList<>(batchSize);
                    while (batch.size() < batchSize && input.hasNext()) {
                        batch.add(InputRow.of(input.next()));
                    }
                    List<Row> done = new Batch<>(task, batch).run();
                    rowsOut.add(done.size());
                    errorsOut.add(done.stream().filter(r -> !r.isNullAt(r.length() - 1)).count());
                    pending = done.iterator();
                }
                return pending.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return pending.next();
            }
        };
    }

    /** One batch of rows: prepared one by one, then run together, or one by one when together fails. */
    static final class Batch<P> {

        private final RowTask<P> task;
        private final List<InputRow> rows;
        private final Object[][] results;
        private final String[] errors;
        private final double[] ms;

        Batch(RowTask<P> task, List<InputRow> rows) {
            this.task = task;
            this.rows = rows;
            this.results = new Object[rows.size()][];
            this.errors = new String[rows.size()];
            this.ms = new double[rows.size()];
        }

        List<Row> run() {
            List<Integer> ready = new ArrayList<>();
            List<P> prepared = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                long start = System.nanoTime();
                try {
                    prepared.add(task.prepare(rows.get(i)));
                    ready.add(i);
                } catch (RuntimeException | OutOfMemoryError e) {
                    errors[i] = reason("cannot read the input", e);
                }
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
            runTogether(ready, prepared);
            List<Row> out = new ArrayList<>(rows.size());
            int width = task.columns().size();
            for (int i = 0; i < rows.size(); i++) {
                Object[] values = new Object[width + 3];
                values[0] = rows.get(i).id();
                if (results[i] != null) {
                    System.arraycopy(results[i], 0, values, 1, width);
                }
                values[width + 1] = ms[i];
                values[width + 2] = errors[i];
                out.add(RowFactory.create(values));
            }
            return out;
        }

        private void runTogether(List<Integer> at, List<P> prepared) {
            if (at.isEmpty()) {
                return;
            }
            long start = System.nanoTime();
            try {
                List<Object[]> values = task.run(prepared);
                MODEL_ROWS.addAndGet(at.size());
                double share = (System.nanoTime() - start) / 1e6 / at.size();
                for (int k = 0; k < at.size(); k++) {
                    results[at.get(k)] = values.get(k);
                    ms[at.get(k)] += share;
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                if (at.size() == 1) {
                    errors[at.get(0)] = reason("the model failed on this row", e);
                    ms[at.get(0)] += (System.nanoTime() - start) / 1e6;
                    return;
                }
                for (int k = 0; k < at.size(); k++) {
                    runTogether(at.subList(k, k + 1), prepared.subList(k, k + 1));
                }
            }
        }
    }

    /** The decoder's messages name the file already; anything else is named by its type and message. */
    static String reason(String what, Throwable e) {
        if (e instanceof ImageDecodeException) {
            return e.getMessage();
        }
        if (e instanceof OutOfMemoryError) {
            return what + ": out of memory (an image too large for the Java heap?)";
        }
        return what + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
