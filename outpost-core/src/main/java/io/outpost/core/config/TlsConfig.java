package io.outpost.core.config;

import static io.outpost.core.config.Def.Setting.optional;

import java.util.List;

/**
 * TLS between Outpost's parts over HTTP ({@code tls}): the certificate every gateway serves HTTPS
 * with, and the certificate authorities its clients — monitors, queries forwarded to another region,
 * command hops — verify the other regions' gateways against, optionally presenting the same
 * certificate (mutual TLS). A region whose {@code gateway.url} is {@code https://} serves HTTPS with
 * {@code key-store}; every region's client trusts {@code trust-store}. Without this section gateways
 * serve plain HTTP, which the configuration then must say with {@code http://} URLs.
 *
 * @param keyStore           a PKCS#12 file with the gateway's private key and certificate chain; null when none
 * @param keyStorePassword   its password
 * @param trustStore         a PKCS#12 file with the certificate authorities to verify gateways (and, with
 *                           {@code client-auth}, clients) against; null for the JDK's own
 * @param trustStorePassword its password
 * @param clientAuth         {@code none}, {@code want} or {@code need}: whether a gateway asks its clients for
 *                           a certificate; with {@code need}, Outpost's own clients present {@code key-store}'s
 */
public record TlsConfig(String keyStore, String keyStorePassword, String trustStore, String trustStorePassword,
                        String clientAuth) {

    static final Def.Setting<String> KEY_STORE = optional("key-store", Type.NON_EMPTY, null,
            "A PKCS#12 file holding the gateway's private key and certificate chain (its names must match the "
                    + "gateways' https:// hosts); required when a gateway URL is https://.");
    static final Def.Setting<String> KEY_STORE_PASSWORD = optional("key-store-password", Type.TEXT, "",
            "The key store's password (use ${ENV}).");
    static final Def.Setting<String> TRUST_STORE = optional("trust-store", Type.NON_EMPTY, null,
            "A PKCS#12 file with the certificate authorities that sign the gateways' certificates (and the clients', "
                    + "with client-auth); default: the JDK's trusted authorities.");
    static final Def.Setting<String> TRUST_STORE_PASSWORD = optional("trust-store-password", Type.TEXT, "",
            "The trust store's password (use ${ENV}).");
    static final Def.Setting<String> CLIENT_AUTH = optional("client-auth", Type.oneOf(List.of("none", "want", "need")),
            "none", "Whether a gateway asks its clients for a certificate (mutual TLS): none, want, or need; Outpost's "
                    + "own clients present the key store's certificate.");

    static final Def.Section DEF = Def.Section.of("tls", false,
            "TLS between Outpost's parts over HTTP: the gateways' certificate and the authorities clients trust.",
            KEY_STORE, KEY_STORE_PASSWORD, TRUST_STORE, TRUST_STORE_PASSWORD, CLIENT_AUTH);

    /** No TLS settings: plain HTTP, or the JDK's trusted authorities for https:// URLs. */
    public static TlsConfig none() {
        return new TlsConfig(null, "", null, "", "none");
    }

    /** Whether a gateway serving with these settings serves HTTPS. */
    public boolean serves() {
        return keyStore != null;
    }

    static TlsConfig read(Cursor c, java.util.Collection<RegionConfig> regions) {
        int before = c.problemCount();
        String keyStore = c.get(KEY_STORE);
        String keyStorePassword = c.get(KEY_STORE_PASSWORD);
        String trustStore = c.get(TRUST_STORE);
        String trustStorePassword = c.get(TRUST_STORE_PASSWORD);
        String clientAuth = c.get(CLIENT_AUTH);
        List<String> https = regions.stream().filter(r -> r.gateway().url().startsWith("https://")).map(RegionConfig::name)
                .toList();
        if (keyStore == null && !https.isEmpty()) {
            c.problem(KEY_STORE.key(), "is required: the gateways of " + https + " have https:// URLs, so they serve "
                    + "HTTPS with the certificate in this key store");
        }
        if (keyStore != null && https.size() < regions.size()) {
            c.problem(KEY_STORE.key(), "is set, so every gateway serves HTTPS, but the gateway URLs of "
                    + regions.stream().filter(r -> !r.gateway().url().startsWith("https://")).map(RegionConfig::name).toList()
                    + " are http://; make them https://");
        }
        if (!"none".equals(clientAuth) && (keyStore == null || trustStore == null)) {
            c.problem(CLIENT_AUTH.key(), "is " + clientAuth + ", which needs key-store (the certificate Outpost's clients "
                    + "present) and trust-store (the authority that signs it)");
        }
        return c.failedSince(before) ? null
                : new TlsConfig(keyStore, keyStorePassword, trustStore, trustStorePassword, clientAuth);
    }
}
