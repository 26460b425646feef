package io.outpost.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.outpost.core.config.AuthConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bearer tokens against a JWKS served by a real HTTP server on port 0, with keys made here: the
 * attacks that have broken JWT libraries, the time window, and how the key set is fetched, kept and
 * refetched. Time is a fake ticker (the key set's TTL and refetch interval) and a fixed clock.
 */
class AuthenticationTest {

    private static final String ISSUER = "https://idp.test/";
    private static final String AUDIENCE = "shop";
    private static final Duration SKEW = Duration.ofSeconds(60);
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final Duration REFETCH = Duration.ofSeconds(30);
    private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

    private static RSAKey rsa;
    private static RSAKey rsa2;
    private static ECKey ec;
    private static OctetSequenceKey oct;

    private final AtomicReference<JWKSet> served = new AtomicReference<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong nanos = new AtomicLong();
    private HttpServer server;
    private HttpClient http;
    private Authentication authentication;

    @BeforeAll
    static void keys() throws JOSEException {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        rsa2 = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        oct = new OctetSequenceKeyGenerator(256).keyID("oct-1").generate();
    }

    @BeforeEach
    void jwks() throws IOException {
        served.set(new JWKSet(List.<JWK>of(rsa.toPublicJWK(), ec.toPublicJWK(), oct)));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks.json", exchange -> {
            requests.incrementAndGet();
            JWKSet set = served.get();
            byte[] body = set == null ? new byte[0] : set.toString(false).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(set == null ? 503 : 200, body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        http = HttpClient.newHttpClient();
        authentication = authentication(List.of("RS256", "ES256"));
    }

    @AfterEach
    void stop() {
        server.stop(0);
        http.close();
    }

    private Authentication authentication(List<String> algorithms) {
        AuthConfig.Jwt settings = new AuthConfig.Jwt("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json",
                null, algorithms, ISSUER, AUDIENCE, SKEW, TTL, REFETCH);
        KeySet keys = KeySet.fetched(URI.create(settings.jwksUrl()), TTL, REFETCH, http, nanos::get, Runnable::run);
        return new Authentication(settings, keys, InstantSource.fixed(NOW), nanos::get);
    }

    private static JWTClaimsSet.Builder claims(String subject) {
        return new JWTClaimsSet.Builder().subject(subject).issuer(ISSUER).audience(AUDIENCE)
                .expirationTime(Date.from(NOW.plusSeconds(600))).issueTime(Date.from(NOW)).claim("scope", "orders:read");
    }

    private static String signed(JWSAlgorithm algorithm, String kid, JWSSigner signer, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String rs256(RSAKey key, JWTClaimsSet claims) throws JOSEException {
        return signed(JWSAlgorithm.RS256, key.getKeyID(), new RSASSASigner(key), claims);
    }

    private Caller caller(String token) throws Exception {
        return authentication.bearer("Bearer " + token);
    }

    private void refused(String token, String why) {
        assertThatThrownBy(() -> caller(token)).as(why).isInstanceOf(Authenticator.Rejected.class);
    }

    @Test
    void aTokenSignedByAnIssuerKeyGivesItsSubjectScopesAndClaims() throws Exception {
        Caller caller = caller(rs256(rsa, claims("7").claim("scp", List.of("orders:read:all")).build()));
        assertThat(caller.subject()).isEqualTo("7");
        assertThat(caller.scopes()).containsExactlyInAnyOrder("orders:read", "orders:read:all");
        assertThat(caller.claims()).containsEntry("sub", "7");
        assertThat(caller(signed(JWSAlgorithm.ES256, "ec-1", new ECDSASigner(ec), claims("8").build())).subject())
                .isEqualTo("8");
        assertThat(authentication.bearer(null)).isSameAs(Caller.ANONYMOUS);
    }

    @Test
    void forgedAlgorithmsAndSignaturesAreRefused() throws Exception {
        JWTClaimsSet good = claims("1").build();
        refused(new PlainJWT(good).serialize(), "alg=none");
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(rsa.toPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        refused(signed(JWSAlgorithm.HS256, "rsa-1", new MACSigner(pem.getBytes(StandardCharsets.US_ASCII)), good),
                "HS256 keyed with the RSA public key as PEM");
        refused(signed(JWSAlgorithm.HS256, "rsa-1", new MACSigner(rsa.toPublicJWK().toJSONString()
                .getBytes(StandardCharsets.UTF_8)), good), "HS256 keyed with the RSA public key as JWK");
        refused(signed(JWSAlgorithm.HS256, "oct-1", new MACSigner(oct), good), "HS256 by the oct key in the JWKS");
        // the oct key is never a candidate for an RSA or EC signature, even with HS256 accepted
        Authentication permissive = authentication(List.of("RS256", "ES256", "HS256"));
        assertThatThrownBy(() -> permissive.bearer("Bearer " + signed(JWSAlgorithm.HS256, "rsa-1",
                new MACSigner(oct), good))).isInstanceOf(Authenticator.Rejected.class);
        // ES256 with a signature of zeros (CVE-2022-21449, "psychic signatures")
        String es = signed(JWSAlgorithm.ES256, "ec-1", new ECDSASigner(ec), good);
        String[] parts = es.split("\\.");
        refused(parts[0] + "." + parts[1] + "." + Base64URL.encode(new byte[64]), "ES256 with a zero signature");
        // a signature of another token, and a payload changed under a good signature
        String other = rs256(rsa, claims("2").build());
        String[] mine = rs256(rsa, good).split("\\.");
        refused(mine[0] + "." + other.split("\\.")[1] + "." + mine[2], "payload swapped under a signature");
        refused(rs256(rsa2, good).replace("rsa-2", "rsa-1"), "signed by a key the issuer does not have");
        assertThatThrownBy(() -> authentication.bearer("Basic dXNlcjpwdw==")).isInstanceOf(Authenticator.Rejected.class);
        assertThatThrownBy(() -> authentication.bearer("Bearer not.a.jwt")).isInstanceOf(Authenticator.Rejected.class);
    }

    @Test
    void theTimeWindowIssuerAndAudienceAreChecked() throws Exception {
        refused(rs256(rsa, claims("1").expirationTime(Date.from(NOW.minus(SKEW).minusSeconds(5))).build()), "expired beyond the skew");
        assertThat(caller(rs256(rsa, claims("1").expirationTime(Date.from(NOW.minus(SKEW).plusSeconds(5))).build())).subject())
                .as("expired within the skew").isEqualTo("1");
        refused(rs256(rsa, claims("1").notBeforeTime(Date.from(NOW.plus(SKEW).plusSeconds(5))).build()), "nbf in the future");
        refused(rs256(rsa, claims("1").issueTime(Date.from(NOW.plus(SKEW).plusSeconds(5))).build()), "iat in the future");
        refused(rs256(rsa, claims("1").issuer("https://evil.test/").build()), "another issuer");
        refused(rs256(rsa, claims("1").issuer(null).build()), "no issuer");
        refused(rs256(rsa, claims("1").audience("other").build()), "another audience");
        refused(rs256(rsa, claims("1").audience((String) null).build()), "no audience");
        refused(rs256(rsa, claims("1").expirationTime(null).build()), "no expiry");
        refused(rs256(rsa, claims(null).build()), "no subject");
        assertThat(caller(rs256(rsa, claims("1").audience(List.of("other", AUDIENCE)).build())).subject()).isEqualTo("1");
    }

    @Test
    void aNewKeyIsFetchedOnceAndAFloodOfUnknownKeyIdsCausesAtMostOneFetchPerInterval() throws Exception {
        assertThat(caller(rs256(rsa, claims("1").build())).subject()).isEqualTo("1");
        assertThat(requests).hasValue(1);

        served.set(new JWKSet(List.<JWK>of(rsa.toPublicJWK(), rsa2.toPublicJWK())));
        nanos.addAndGet(REFETCH.toNanos());
        assertThat(caller(rs256(rsa2, claims("2").build())).subject()).as("the issuer's new key").isEqualTo("2");
        assertThat(requests).hasValue(2);

        List<String> forged = new ArrayList<>();
        RSASSASigner unknown = new RSASSASigner(new RSAKeyGenerator(2048).generate());
        for (int i = 0; i < 50; i++) {
            forged.add(signed(JWSAlgorithm.RS256, "forged-" + i, unknown, claims("x").build()));
        }
        nanos.addAndGet(REFETCH.toNanos());
        for (String token : forged) {
            refused(token, "an unknown key id");
        }
        assertThat(requests).as("one fetch for the whole flood").hasValue(3);
        nanos.addAndGet(REFETCH.toNanos() / 2);
        forged.forEach(token -> refused(token, "still unknown"));
        assertThat(requests).as("none within the interval").hasValue(3);
    }

    @Test
    void aRemovedKeyIsRefusedAfterTheTtlAndTheLastKeysServeThroughAnOutage() throws Exception {
        String token = rs256(rsa, claims("1").build());
        assertThat(caller(token).subject()).isEqualTo("1");

        served.set(new JWKSet(List.<JWK>of(rsa2.toPublicJWK())));
        nanos.addAndGet(TTL.toNanos() / 2);
        assertThat(caller(token).subject()).as("within the TTL").isEqualTo("1");
        nanos.addAndGet(TTL.toNanos());
        refused(token, "the same token once its key is gone");
        refused(rs256(rsa, claims("2").build()), "a new token of the removed key");

        served.set(null); // the issuer is down: the keys fetched last stay in use
        nanos.addAndGet(TTL.toNanos() * 3);
        assertThat(caller(rs256(rsa2, claims("3").build())).subject()).isEqualTo("3");
        assertThat(authentication.keys().failures()).isPositive();
    }

    @Test
    void withoutAnyKeysAtAColdStartTheKeysAreUnavailableNotTheTokenBad() throws Exception {
        served.set(null);
        String token = rs256(rsa, claims("1").build());
        assertThatThrownBy(() -> caller(token)).isInstanceOf(KeySet.Unavailable.class)
                .hasMessageContaining("cannot be fetched");
        assertThatThrownBy(() -> caller(token)).isInstanceOf(KeySet.Unavailable.class);
        assertThat(requests).as("no second fetch within the interval").hasValue(1);

        served.set(new JWKSet(List.<JWK>of(rsa.toPublicJWK())));
        nanos.addAndGet(REFETCH.toNanos());
        assertThat(caller(token).subject()).isEqualTo("1");
    }

    @Test
    void aVerifiedTokenIsCheckedOnceUntilItsExpiry() throws Exception {
        String token = rs256(rsa, claims("1").build());
        caller(token);
        served.set(null);
        nanos.addAndGet(REFETCH.toNanos() * 2);
        for (int i = 0; i < 10; i++) {
            assertThat(caller(token).subject()).isEqualTo("1");
        }
        assertThat(requests).hasValue(1);
        assertThat(Map.of("fetches", authentication.keys().fetches())).containsEntry("fetches", 1L);
    }
}
