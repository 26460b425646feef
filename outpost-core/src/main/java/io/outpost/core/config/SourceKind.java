package io.outpost.core.config;

/** The kind of database a source is. PostgreSQL first; MariaDB and MySQL come later. */
public enum SourceKind {
    POSTGRESQL;

    String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static final Type<SourceKind> TYPE = new Type<>() {
        @Override
        public String rule() {
            return "one of: postgresql";
        }

        @Override
        public SourceKind parse(com.fasterxml.jackson.databind.JsonNode node) throws Invalid {
            String text = Type.TEXT.parse(node).trim();
            for (SourceKind kind : values()) {
                if (kind.configName().equals(text)) {
                    return kind;
                }
            }
            throw Invalid.of(this, node);
        }
    };
}
