package io.confman.jepsen.knossos;

import java.util.Objects;

/**
 * Knossos's verdict on one history file, as its line in the checker's output says it.
 *
 * @param file    the file as the checker printed it
 * @param verdict {@link KnossosVerdict#VALID}, {@link KnossosVerdict#INVALID} or
 *                {@link KnossosVerdict#UNKNOWN}; a file the checker could not read is unknown
 * @param detail  why a file is unknown when it could not be checked, or empty
 */
public record KnossosFileVerdict(String file, KnossosVerdict verdict, String detail) {

    public KnossosFileVerdict {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(detail, "detail");
        if (verdict == KnossosVerdict.UNAVAILABLE) {
            throw new IllegalArgumentException("a file's verdict is valid, invalid or unknown, never unavailable");
        }
    }
}
