/**
 * Data files of samples, shared by training (mix-training reads them) and the data tools (mix-data
 * rewrites them): a JSON array or JSONL read one record at a time, each record knowing where it is
 * ({@code FILE:LINE} or {@code FILE[INDEX]}), and paths in records resolved against the data file.
 */
package org.mix4j.records;
