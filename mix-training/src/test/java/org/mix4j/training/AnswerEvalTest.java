package org.mix4j.training;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How {@code mix eval --answers} compares a model's answer with the reference. */
class AnswerEvalTest {

    @Test
    void englishIgnoresCaseAndOuterOrRepeatedSpacesButNotMissingOnes() {
        assertTrue(AnswerEval.same(" Black\n", "black"));
        assertTrue(AnswerEval.same("a red  circle and a blue star", "a red circle and a blue star"));
        assertFalse(AnswerEval.same("a redcircle", "a red circle"));
        assertFalse(AnswerEval.same("black", "white"));
        assertFalse(AnswerEval.same("", "black"));
    }

    @Test
    void chineseIgnoresTheSpacesAWordLevelTokenizerPutsBetweenWords() {
        assertTrue(AnswerEval.same("一个 红色 圆形 和 一个 蓝色 星形", "一个红色圆形和一个蓝色星形"));
        assertTrue(AnswerEval.same("黑色", " 黑色 "));
        assertFalse(AnswerEval.same("一个 红色 圆形", "一个蓝色圆形"));
    }
}
