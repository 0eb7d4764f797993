package io.confman.storage.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Every file-system operation by which the log changes the disk: opening a file for
 * writing (writes, truncations and forces then go through the returned channel), atomic
 * rename, delete, directory creation and directory fsync. Reads change nothing and do not
 * go through here.
 *
 * <p>This is an injection seam, not a switch: {@link #fileSystem()} is the only
 * implementation in main code. Tests inject one that records each operation, so that they
 * can compute what a crash at any point would leave on disk and check recovery against it;
 * without that, a missing fsync could not be detected by any test.
 */
public interface StorageIo {
    /** Opens a file; the channel's writes, truncations and forces are the file's changes. */
    FileChannel open(Path path, OpenOption... options) throws IOException;

    /** Renames atomically; durable only once the directory is fsynced. */
    void move(Path from, Path to) throws IOException;

    /** Unlinks a file; durable only once the directory is fsynced. */
    void delete(Path path) throws IOException;

    /** Makes creations, renames and deletions of entries in {@code dir} durable. */
    void fsyncDirectory(Path dir) throws IOException;

    /** Creates one directory whose parent exists; durable only once the parent is fsynced. */
    void createDirectory(Path dir) throws IOException;

    /**
     * Creates {@code dir} and its missing ancestors, fsyncing the parent of every directory
     * created: a new directory's entry is metadata of its parent, and without that fsync a
     * crash can take away the directory, with every file in it.
     */
    default void createDirectoriesDurably(Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path path = dir.toAbsolutePath(); path != null && !Files.isDirectory(path); path = path.getParent()) {
            missing.push(path);
        }
        while (!missing.isEmpty()) {
            Path created = missing.pop();
            try {
                createDirectory(created);
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(created)) {
                    throw raced;
                }
                // Another process created it in between; fsyncing the parent below makes
                // its entry durable all the same.
            }
            fsyncDirectory(created.getParent());
        }
    }

    /** The real file system. */
    static StorageIo fileSystem() {
        return FileSystemIo.INSTANCE;
    }
}
