package org.mix4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mix4j.tensor.TensorParallel;

/** Per-call adapters on a small linear whose numbers are checked by hand; the scope's thread rules. */
class CallAdaptersTest {

    private NDManager manager;
    private Linear linear;
    private NDArray x;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        // W = I (3x3), b = 0: y = x
        linear = Linear.of(manager.eye(3), null, TensorParallel.of(2));
        x = manager.create(new float[] {1, 2, 3}, new Shape(1, 3));
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** An adapter on rows {@code from..to}: A = ones [1, 3], B = ones [to - from, 1], so it adds scaling * sum(x) = 6 * scaling. */
    private Linear.Adapter adapter(long from, long to, double scaling) {
        return new Linear.Adapter(from, to, manager.ones(new Shape(1, 3)), manager.ones(new Shape(to - from, 1)), scaling);
    }

    private float[] forward() {
        return linear.forward(x).toFloatArray();
    }

    @Test
    void anOpenScopeAddsItsUpdateOnlyWhileOpen() {
        try (CallAdapters.Scope scope = CallAdapters.open(Map.of(linear, List.of(adapter(1, 3, 0.5))))) {
            assertArrayEquals(new float[] {1, 5, 6}, forward(), 1e-6f);
        }
        assertArrayEquals(new float[] {1, 2, 3}, forward(), 0f);
    }

    @Test
    void nestedScopesAddUpAndUnwind() {
        try (CallAdapters.Scope outer = CallAdapters.open(Map.of(linear, List.of(adapter(0, 3, 1))))) {
            try (CallAdapters.Scope inner = CallAdapters.open(Map.of(linear, List.of(adapter(0, 1, 1))))) {
                assertArrayEquals(new float[] {13, 8, 9}, forward(), 1e-6f);
            }
            assertArrayEquals(new float[] {7, 8, 9}, forward(), 1e-6f);
        }
        assertArrayEquals(new float[] {1, 2, 3}, forward(), 0f);
    }

    @Test
    void otherThreadsDoNotSeeTheScope() throws Exception {
        try (CallAdapters.Scope scope = CallAdapters.open(Map.of(linear, List.of(adapter(0, 3, 1))))) {
            float[] elsewhere = CompletableFuture.supplyAsync(this::forward).get();
            assertArrayEquals(new float[] {1, 2, 3}, elsewhere, 0f);
            assertArrayEquals(new float[] {7, 8, 9}, forward(), 1e-6f);
        }
    }

    @Test
    void aScopeClosedOnAnotherThreadIsAnError() throws Exception {
        CallAdapters.Scope scope = CallAdapters.open(Map.of(linear, List.of(adapter(0, 3, 1))));
        try {
            Exception e = assertThrows(Exception.class, () -> CompletableFuture.runAsync(scope::close).get());
            assertEquals(IllegalStateException.class, e.getCause().getClass());
        } finally {
            scope.close();
        }
        assertArrayEquals(new float[] {1, 2, 3}, forward(), 0f);
    }

    @Test
    void loraUpdateScalesWithoutTouchingItsAdapters() {
        try (LoraUpdate update = new LoraUpdate("test", Map.of(linear, List.of(adapter(0, 3, 0.5))),
                manager.newSubManager())) {
            assertEquals(24, update.bytes(), "A [1, 3] and B [3, 1] in float32");
            try (CallAdapters.Scope scope = CallAdapters.open(update.scaled(2))) {
                assertArrayEquals(new float[] {7, 8, 9}, forward(), 1e-6f);
            }
            assertEquals(0.5, update.scaled(1).get(linear).get(0).scaling());
        }
    }

    @Test
    void anAdapterThatDoesNotFitIsRefused() {
        Linear.Adapter wide = new Linear.Adapter(0, 3, manager.ones(new Shape(1, 4)), manager.ones(new Shape(3, 1)), 1);
        assertThrows(IllegalArgumentException.class, () -> new LoraUpdate("test", Map.of(linear, List.of(wide)),
                manager.newSubManager()));
    }
}
