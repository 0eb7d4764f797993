package io.confman.storage.wal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Releases a segment's mapping as soon as recovery has scanned it, instead of whenever the
 * garbage collector finds the buffer: a log of many large segments would otherwise keep
 * all of them mapped at once. Java 17 has no public unmap; the JDK's own way is
 * {@code sun.misc.Unsafe.invokeCleaner} in the {@code jdk.unsupported} module, which is
 * used where the runtime offers it. Where it does not, the mapping is released by the
 * collector, as before: slower to free, never wrong.
 */
final class Unmapper {
    /** {@code Unsafe.invokeCleaner(ByteBuffer)} bound to the Unsafe instance, or null. */
    private static final MethodHandle INVOKE_CLEANER = findInvokeCleaner();

    private Unmapper() {
    }

    /** Whether this runtime lets mappings be released at once. */
    static boolean available() {
        return INVOKE_CLEANER != null;
    }

    /** Unmaps {@code mapped}; no view of it may be used afterwards (a read would crash the JVM). */
    static void unmap(MappedByteBuffer mapped) {
        if (INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invokeExact((ByteBuffer) mapped);
        } catch (RuntimeException | Error failure) {
            throw failure;
        } catch (Throwable impossible) {
            throw new IllegalStateException("invokeCleaner threw a checked exception", impossible);
        }
    }

    private static MethodHandle findInvokeCleaner() {
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            MethodHandle handle = MethodHandles.lookup().findVirtual(unsafeClass, "invokeCleaner",
                    MethodType.methodType(void.class, ByteBuffer.class));
            return handle.bindTo(theUnsafe.get(null));
        } catch (ReflectiveOperationException | RuntimeException unavailable) {
            // This runtime offers no unmap: mappings are then freed by the collector.
            return null;
        }
    }
}
