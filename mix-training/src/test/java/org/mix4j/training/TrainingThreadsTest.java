package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** PyTorch's intra-op threads while training: raised from one, given back after, a chosen count kept. */
class TrainingThreadsTest {

    @Test
    void raisesOneEngineThreadWhileTrainingAndGivesItBack() {
        int original = TrainingThreads.engineThreads();
        try {
            TrainingThreads.set(1);
            try (TrainingThreads t = TrainingThreads.use(2)) {
                assertEquals(2, TrainingThreads.engineThreads());
            }
            assertEquals(1, TrainingThreads.engineThreads());
        } finally {
            TrainingThreads.set(original);
        }
    }

    @Test
    void keepsACountChosenOnPurpose() {
        int original = TrainingThreads.engineThreads();
        try {
            TrainingThreads.set(3);
            try (TrainingThreads t = TrainingThreads.use(2)) {
                assertEquals(3, TrainingThreads.engineThreads());
            }
            assertEquals(3, TrainingThreads.engineThreads());
        } finally {
            TrainingThreads.set(original);
        }
    }
}
