package io.outpost.capture.internal;

import io.outpost.core.change.ChangeRecord;
import io.outpost.log.ChangeCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The records of one open transaction, in order, held until its end reveals the commit position.
 * Up to {@code memoryLimit} records stay in memory; beyond that the older ones are written to a
 * spill file (length-prefixed envelopes) so a huge transaction cannot exhaust the heap.
 *
 * <p>Thread confinement: only the engine's thread touches a buffer.
 */
final class TransactionBuffer implements AutoCloseable {

    private final int memoryLimit;
    private final Path spillDirectory;
    private final List<ChangeRecord> memory = new ArrayList<>();
    private Path spillFile;
    private DataOutputStream spill;
    private int spilled;

    TransactionBuffer(int memoryLimit, Path spillDirectory) {
        this.memoryLimit = memoryLimit;
        this.spillDirectory = spillDirectory;
    }

    void add(ChangeRecord record) {
        memory.add(record);
        if (memory.size() >= memoryLimit) {
            spillMemory();
        }
    }

    int size() {
        return spilled + memory.size();
    }

    boolean spilledToDisk() {
        return spilled > 0;
    }

    /** Every record, oldest first: the spilled ones, then those in memory. */
    void forEach(Consumer<ChangeRecord> action) {
        if (spill != null) {
            try {
                spill.flush();
                try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spillFile)))) {
                    for (int i = 0; i < spilled; i++) {
                        byte[] bytes = new byte[in.readInt()];
                        in.readFully(bytes);
                        action.accept(ChangeCodec.decode(bytes));
                    }
                }
            } catch (EOFException e) {
                throw new IllegalStateException("the spill file " + spillFile + " is shorter than written", e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read back the spill file " + spillFile, e);
            }
        }
        memory.forEach(action);
    }

    private void spillMemory() {
        try {
            if (spill == null) {
                Files.createDirectories(spillDirectory);
                spillFile = Files.createTempFile(spillDirectory, "transaction-", ".spill");
                spill = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(spillFile), 1 << 16));
            }
            for (ChangeRecord record : memory) {
                byte[] bytes = ChangeCodec.encode(record);
                spill.writeInt(bytes.length);
                spill.write(bytes);
            }
            spilled += memory.size();
            memory.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spill a large transaction to " + spillDirectory + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        memory.clear();
        if (spill != null) {
            try {
                spill.close();
                Files.deleteIfExists(spillFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            spill = null;
        }
        spilled = 0;
    }
}
