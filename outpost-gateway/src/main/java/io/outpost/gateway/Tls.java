package io.outpost.gateway;

import io.outpost.core.OutpostException;
import io.outpost.core.config.TlsConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The TLS material of {@code tls}: what a gateway serves HTTPS with, and what Outpost's own HTTP
 * clients (forwarding, command hops, monitors) verify gateways with and present for mutual TLS.
 * Each store is a PKCS#12 file or a PEM file (certificates, and for the key store an unencrypted
 * PKCS#8 private key), told apart by content.
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

    private static final Pattern PEM_BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
    private static final List<String> KEY_ALGORITHMS = List.of("EC", "RSA", "Ed25519", "RSASSA-PSS");

    /** A PKCS#12 file, or a PEM file (told apart by its content), as a key store. */
    private static KeyStore load(String file, String password, String setting) {
        byte[] content;
        try {
            content = Files.readAllBytes(Path.of(file));
        } catch (IOException e) {
            throw new OutpostException("cannot read " + setting + " " + file + ": " + e.getMessage() + "; fix the path or "
                    + "the file's permissions");
        }
        String text = new String(content, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN ")) {
            return pem(text, password, file, setting);
        }
        try (InputStream in = new ByteArrayInputStream(content)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new OutpostException("cannot read " + setting + " " + file + " as a PKCS#12 store: " + e.getMessage()
                    + "; fix the path, the file or its password (or give a PEM file)");
        }
    }

    /**
     * A PEM file as a key store: an unencrypted PKCS#8 private key with its certificate chain (the
     * first certificate is the key's), or certificates alone (authorities to trust).
     */
    private static KeyStore pem(String text, String password, String file, String setting) {
        List<Certificate> certificates = new ArrayList<>();
        PrivateKey key = null;
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher block = PEM_BLOCK.matcher(text);
            while (block.find()) {
                String type = block.group(1);
                byte[] der = Base64.getMimeDecoder().decode(block.group(2));
                switch (type) {
                    case "CERTIFICATE" -> certificates.add(factory.generateCertificate(new ByteArrayInputStream(der)));
                    case "PRIVATE KEY" -> key = privateKey(der, file, setting);
                    case "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" -> throw new OutpostException(
                            setting + " " + file + " holds a key as BEGIN " + type + "; Outpost reads unencrypted PKCS#8 keys "
                                    + "(BEGIN PRIVATE KEY): convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8` and keep "
                                    + "the file readable by Outpost only");
                    default -> throw new OutpostException(setting + " " + file + " holds a PEM block " + type
                            + " that Outpost does not read; give CERTIFICATE blocks and at most one PRIVATE KEY");
                }
            }
            if (certificates.isEmpty()) {
                throw new OutpostException(setting + " " + file + " holds no certificate; give the PEM certificate chain "
                        + "(and, for key-store, the private key)");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            if (key != null) {
                store.setKeyEntry("key", key, password.toCharArray(), certificates.toArray(Certificate[]::new));
            } else {
                for (int i = 0; i < certificates.size(); i++) {
                    store.setCertificateEntry("authority-" + i, certificates.get(i));
                }
            }
            return store;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new OutpostException("cannot read " + setting + " " + file + " as PEM: " + e.getMessage()
                    + "; give PEM certificates and an unencrypted PKCS#8 private key, or a PKCS#12 store");
        }
    }

    private static PrivateKey privateKey(byte[] der, String file, String setting) {
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm's key; try the next
            }
        }
        throw new OutpostException(setting + " " + file + " holds a private key that is none of " + KEY_ALGORITHMS
                + "; give an EC, RSA or Ed25519 key");
    }
}
