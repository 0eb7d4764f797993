package io.confman.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The live view's page as files in the jar (LIVEVIEW.md section 1): which path serves which
 * file with which type, and the policy the page runs under. The nodes ({@code LiveApi}) and
 * the dev controller serve the same files by this one table.
 */
public final class LivePage {

    /** Where the files are on the classpath. */
    public static final String RESOURCES = "io/confman/ui/";
    /**
     * The page runs only its own script; it reads the members' streams and the dev
     * controller on other origins, so connections may go to any http(s) origin.
     */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' http: https:; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /** One file of the page; {@code page} is true for the HTML document itself. */
    public record File(String name, String contentType, boolean page) {
    }

    private static final File INDEX = new File("index.html", "text/html; charset=utf-8", true);
    private static final Map<String, File> BY_PATH = Map.of(
            "/ui", INDEX,
            "/ui/", INDEX,
            "/ui/app.js", new File("app.js", "text/javascript; charset=utf-8", false),
            "/ui/style.css", new File("style.css", "text/css; charset=utf-8", false));

    private LivePage() {
    }

    /** The file a request path names, or null when it names none. */
    public static File byPath(String path) {
        return BY_PATH.get(path);
    }

    /** A file's bytes from the classpath, or null when this build lacks it. */
    public static byte[] read(String name) {
        try (InputStream in = LivePage.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the live view's " + name + " from the jar", e);
        }
    }
}
