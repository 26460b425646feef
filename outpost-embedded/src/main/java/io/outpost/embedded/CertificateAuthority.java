package io.outpost.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority made for tests with the JDK's {@code keytool} (no other tool needed): its
 * certificate as PEM, a PKCS#12 trust store holding it, and certificates for {@code localhost} it
 * signs, each as a PKCS#12 key store and as PEM files (certificate chain and unencrypted PKCS#8
 * private key, readable by its owner only, as PostgreSQL requires). Every store's password is
 * {@link #PASSWORD}. Certificates are valid for two days.
 */
public final class CertificateAuthority {

    public static final String PASSWORD = "changeit";

    private final Path directory;
    private final String name;

    private CertificateAuthority(Path directory, String name) {
        this.directory = directory;
        this.name = name;
    }

    /**
     * Makes an authority named {@code name} (EC P-256) in {@code directory}.
     *
     * @throws IllegalStateException when keytool fails, with its output
     */
    public static CertificateAuthority create(Path directory, String name) {
        CertificateAuthority authority = new CertificateAuthority(directory, name);
        authority.keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "bc:c", "-validity", "2", "-keystore", name + ".p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
        authority.keytool("-exportcert", "-alias", name, "-keystore", name + ".p12", "-storepass", PASSWORD, "-rfc",
                "-file", name + ".crt");
        authority.keytool("-importcert", "-alias", name, "-file", name + ".crt", "-keystore", name + "-trust.p12",
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-noprompt");
        return authority;
    }

    /** The authority's certificate (PEM): what {@code sslrootcert} and PEM trust stores name. */
    public Path certificate() {
        return directory.resolve(name + ".crt");
    }

    /** A PKCS#12 store that trusts this authority. */
    public Path trustStore() {
        return directory.resolve(name + "-trust.p12");
    }

    /**
     * A key pair for {@code localhost} and {@code 127.0.0.1}, its certificate signed by this authority.
     *
     * @param holder the file names' stem: {@code holder.p12}, {@code holder.crt}, {@code holder.key}
     */
    public Issued issue(String holder) {
        keytool("-genkeypair", "-alias", holder, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "2", "-keystore", holder + ".p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", holder, "-keystore", holder + ".p12", "-storepass", PASSWORD, "-file", holder + ".csr");
        keytool("-gencert", "-alias", name, "-keystore", name + ".p12", "-storepass", PASSWORD, "-infile", holder + ".csr",
                "-outfile", holder + ".crt", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-rfc");
        keytool("-importcert", "-alias", name, "-file", name + ".crt", "-keystore", holder + ".p12", "-storepass", PASSWORD,
                "-noprompt");
        keytool("-importcert", "-alias", holder, "-file", holder + ".crt", "-keystore", holder + ".p12", "-storepass",
                PASSWORD);
        Path keyStore = directory.resolve(holder + ".p12");
        Path privateKey = directory.resolve(holder + ".key");
        try (InputStream in = Files.newInputStream(keyStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            Key key = store.getKey(holder, PASSWORD.toCharArray());
            Files.writeString(privateKey, pem("PRIVATE KEY", key.getEncoded()));
            Files.setPosixFilePermissions(privateKey, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write the private key of " + keyStore + " as PEM: " + e.getMessage(), e);
        }
        return new Issued(keyStore, directory.resolve(holder + ".crt"), privateKey);
    }

    /**
     * What {@link #issue} made.
     *
     * @param keyStore    PKCS#12 with the private key and the chain up to the authority
     * @param certificate the certificate (PEM)
     * @param privateKey  the private key (PEM, unencrypted PKCS#8, mode 0600)
     */
    public record Issued(Path keyStore, Path certificate, Path privateKey) {
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private void keytool(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run keytool from " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool", e);
        }
    }
}
