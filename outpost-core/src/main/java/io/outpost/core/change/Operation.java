package io.outpost.core.change;

/** What happened to a row. */
public enum Operation {
    /** Inserted. */
    CREATE("c"),
    /** Updated. */
    UPDATE("u"),
    /** Deleted. */
    DELETE("d"),
    /** Read by the initial snapshot: the row existed when capture started. */
    READ("r");

    private final String code;

    Operation(String code) {
        this.code = code;
    }

    /** The one-letter code of the log's envelope. */
    public String code() {
        return code;
    }

    public static Operation ofCode(String code) {
        for (Operation op : values()) {
            if (op.code.equals(code)) {
                return op;
            }
        }
        throw new IllegalArgumentException("a row operation must be one of c, u, d, r, but was \"" + code + "\"");
    }
}
