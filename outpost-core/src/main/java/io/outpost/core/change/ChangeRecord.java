package io.outpost.core.change;

import io.outpost.core.SourcePosition;

/**
 * One record of a source's change log. Every record carries the commit position of the
 * transaction it belongs to and its sequence within that transaction, so
 * {@code (position, sequence)} orders the whole log and identifies a row change: a row that
 * appears twice (capture is at-least-once) appears with the same pair both times.
 */
public sealed interface ChangeRecord permits RowChange, TransactionEnd, TableSchema, Fence, Heartbeat {

    /** The source's name. */
    String source();

    /** The commit position of the record's transaction (for a fence or heartbeat, its own). */
    SourcePosition position();

    /**
     * The record's place within its transaction: row changes count from 0; a schema record carries
     * the sequence of the row it precedes (and comes before it); the transaction's end carries the
     * number of rows. Deterministic, so a transaction published twice has the same sequences.
     */
    long sequence();
}
