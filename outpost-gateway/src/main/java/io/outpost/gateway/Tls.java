package io.outpost.gateway;

import io.outpost.core.OutpostException;
import io.outpost.core.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The TLS material of {@code tls}: what a gateway serves HTTPS with, and what Outpost's own HTTP
 * clients (forwarding, command hops, monitors) verify gateways with and present for mutual TLS.
 * Host names are verified by the JDK's client (the certificates must name the gateways' hosts).
 */
public final class Tls {

    private Tls() {
    }

    /**
     * The context Outpost's clients use, or null for the JDK's default (no {@code tls} stores).
     *
     * @throws OutpostException when a store cannot be read, naming its setting
     */
    public static SSLContext clientContext(TlsConfig tls) {
        if (tls.trustStore() == null && (tls.keyStore() == null || "none".equals(tls.clientAuth()))) {
            return null;
        }
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            KeyManagerFactory keys = null;
            if (tls.keyStore() != null && !"none".equals(tls.clientAuth())) {
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(load(tls.keyStore(), tls.keyStorePassword(), "tls.key-store"), tls.keyStorePassword().toCharArray());
            }
            TrustManagerFactory trust = null;
            if (tls.trustStore() != null) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load(tls.trustStore(), tls.trustStorePassword(), "tls.trust-store"));
            }
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new OutpostException("the TLS settings cannot be used: " + e.getMessage()
                    + "; check tls.key-store, tls.trust-store and their passwords", e);
        }
    }

    /** What a gateway serves HTTPS with; asks clients for a certificate as {@code tls.client-auth} says. */
    static SslContextFactory.Server serverContext(TlsConfig tls) {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setKeyStore(load(tls.keyStore(), tls.keyStorePassword(), "tls.key-store"));
        factory.setKeyStorePassword(tls.keyStorePassword());
        if (tls.trustStore() != null) {
            factory.setTrustStore(load(tls.trustStore(), tls.trustStorePassword(), "tls.trust-store"));
        }
        factory.setNeedClientAuth("need".equals(tls.clientAuth()));
        factory.setWantClientAuth("want".equals(tls.clientAuth()));
        return factory;
    }

    private static KeyStore load(String file, String password, String setting) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new OutpostException("cannot read " + setting + " " + file + " as a PKCS#12 store: " + e.getMessage()
                    + "; fix the path, the file or its password");
        }
    }
}
