package io.confman.storage.blob;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Prepares the JVM for Chronicle Bytes before any Chronicle class is initialised: checks that
 * the JVM opens to it what it needs, and sets the system properties that make it quiet and
 * deterministic (storage/FORMAT.md, section 9.5). Chronicle reads each property once, in the
 * static initialiser of the class that uses it, so they must be set before its first use;
 * {@link BlobStore#open} calls {@link #requireUsable()} before anything else, and the blob
 * store is Chronicle's only user in Confman.
 *
 * <p>A property already set (with {@code -D}) is left as it is, so an operator can still
 * turn one back, for example to trace reference counts while hunting a leak.
 */
final class ChronicleRuntime {

    /** The flags Chronicle Bytes needs on JDK 17; {@code bin/confman} and the tests pass them. */
    static final String JVM_FLAGS = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED"
            + " --add-exports=java.base/sun.nio.ch=ALL-UNNAMED"
            + " --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";

    /** An empty properties file in this jar, for Chronicle's {@code system.properties} (see {@link #SETTINGS}). */
    static final String EMPTY_SYSTEM_PROPERTIES = "io/confman/storage/blob/chronicle-system.properties";

    /** Every property set, and why. */
    static final Map<String, String> SETTINGS = settings();

    /** Chronicle's loggers; kept here because java.util.logging holds loggers weakly. */
    private static final Logger CHRONICLE_LOGGER = Logger.getLogger("net.openhft");

    private static final String MISSING_ACCESS = missingAccess();

    static {
        SETTINGS.forEach((name, value) -> {
            if (System.getProperty(name) == null) {
                System.setProperty(name, value);
            }
        });
        // Chronicle logs at INFO where it was loaded from and how long mappings took; its
        // warnings and errors still pass. A level configured for it already is kept.
        if (CHRONICLE_LOGGER.getLevel() == null) {
            CHRONICLE_LOGGER.setLevel(Level.WARNING);
        }
    }

    private ChronicleRuntime() {
    }

    private static Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        // Releasing the last reference to a mapping unmaps it and closes its file on the
        // releasing thread, before releaseLast returns, instead of on a background thread
        // later: an upload is unmapped before it is truncated and fsynced, and the number of
        // open files and mappings does not depend on another thread keeping up.
        settings.put("background.releaser", "false");
        // No banner, and no usage report sent anywhere (the chronicle-analytics jar is also
        // excluded from the build, so there is nothing that could send one).
        settings.put("chronicle.announcer.disable", "true");
        settings.put("chronicle.analytics.disable", "true");
        // No stack trace recorded for every reservation of a mapping, and no warning about it.
        settings.put("jvm.resource.tracing", "false");
        settings.put("disable.resource.warning", "true");
        // No INFO line each time growing a file or mapping a chunk takes over a millisecond or two.
        settings.put("disable.perf.info", "true");
        // Chronicle otherwise loads ./system.properties, ../system.properties or a resource of
        // that name into the JVM's system properties; pointing it at an empty file of ours keeps
        // whatever lies in the working directory out.
        settings.put("system.properties", EMPTY_SYSTEM_PROPERTIES);
        return Map.copyOf(settings);
    }

    /**
     * Throws {@link IllegalStateException} naming the missing JVM flags when Chronicle would
     * fail in its static initialiser (with an {@code ExceptionInInitializerError} that does not
     * say which flag is missing).
     */
    static void requireUsable() {
        if (!MISSING_ACCESS.isEmpty()) {
            throw new IllegalStateException("the blob store's Chronicle Bytes needs the JVM flags " + JVM_FLAGS
                    + "; missing: " + MISSING_ACCESS);
        }
    }

    private static String missingAccess() {
        Module base = Object.class.getModule();
        Module chronicle = ChronicleRuntime.class.getModule(); // Both on the class path: the unnamed module.
        List<String> missing = new ArrayList<>();
        if (!base.isOpen("java.lang.reflect", chronicle)) {
            missing.add("--add-opens=java.base/java.lang.reflect=ALL-UNNAMED");
        }
        if (!base.isExported("sun.nio.ch", chronicle)) {
            missing.add("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED");
        }
        if (!base.isExported("jdk.internal.ref", chronicle)) {
            missing.add("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED");
        }
        return String.join(" ", missing);
    }
}
