package org.mix4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The time left that mix train's progress line shows. */
class TrainProgressTest {

    @Test
    void aResumedRunCountsOnlyTheStepsItTrainedItself() {
        // 10 steps in 20 s, 2490 to go: 2 s a step, whatever step the run resumed at
        assertEquals(4980, TrainCommand.eta(20, 10, 2490), 1e-9);
        assertEquals(0, TrainCommand.eta(0, 0, 100), 1e-9);
    }
}
