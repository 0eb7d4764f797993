package io.confman.storage.blob;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The names of a blob store's files (storage/FORMAT.md, section 9.1), and which names are
 * which. Only names are decided here; nothing touches the disk.
 */
final class BlobLayout {

    /** Published blobs, one file each, named by the 64 lowercase hex digits of its SHA-256. */
    static final String BLOBS_DIRECTORY = "sha256";
    /** Uploads being written; every file here is deleted when the store opens. */
    static final String TEMP_DIRECTORY = "tmp";
    /** Locked while a store has the directory open, so that two stores never share it. */
    static final String LOCK_FILE = "lock";
    static final String TEMP_PREFIX = "upload-";
    static final String TEMP_SUFFIX = ".part";

    /**
     * The SHA-256 of no bytes. No other digest can name a zero-length file, so such a file
     * under any other name is damage, found without reading it.
     */
    static final BlobDigest EMPTY_DIGEST =
            BlobDigest.ofHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    private static final Pattern BLOB_NAME = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern TEMP_NAME =
            Pattern.compile(Pattern.quote(TEMP_PREFIX) + "[0-9A-Za-z_-]+" + Pattern.quote(TEMP_SUFFIX));

    final Path root;
    final Path blobs;
    final Path temp;
    final Path lock;

    BlobLayout(Path root) {
        this.root = root;
        this.blobs = root.resolve(BLOBS_DIRECTORY);
        this.temp = root.resolve(TEMP_DIRECTORY);
        this.lock = root.resolve(LOCK_FILE);
    }

    Path blobFile(BlobDigest digest) {
        return blobs.resolve(digest.hex());
    }

    /** The digest a file in {@link #BLOBS_DIRECTORY} is named by, or null when the name is no digest's. */
    static BlobDigest digestOfName(String fileName) {
        return BLOB_NAME.matcher(fileName).matches() ? BlobDigest.ofHex(fileName) : null;
    }

    /** Whether a file in {@link #TEMP_DIRECTORY} has the name an upload gives its file. */
    static boolean isTempName(String fileName) {
        return TEMP_NAME.matcher(fileName).matches();
    }
}
