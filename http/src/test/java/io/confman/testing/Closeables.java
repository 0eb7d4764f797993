package io.confman.testing;

/** Closing everything a test started, even when some of it fails to close. */
public final class Closeables {

    private Closeables() {
    }

    /**
     * Closes each of {@code closeables} in order; returns the first failure with the later ones
     * suppressed in it, or null when all closed.
     */
    public static Exception closeAll(Iterable<? extends AutoCloseable> closeables) {
        Exception first = null;
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }
}
