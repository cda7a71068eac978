package org.mix4j.spark.data;

import java.io.Serializable;
import org.mix4j.data.records.Sample;

/**
 * A sample and its position among the input's records (0-based, bad records included): how the
 * Spark steps keep the local tools' input order through shuffles, and what sampling and the
 * keep-the-first rules decide by.
 */
public record Positioned(long position, Sample sample) implements Serializable {}
