package io.confman.storage.cli;

import io.confman.storage.wal.LogScanner;
import io.confman.storage.wal.TailState;
import io.confman.storage.wal.WalOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code confman wal dump DIR}: prints every record of a write-ahead log and how its tail
 * would be recovered. Strictly read-only: it runs the same scanner as recovery, so what it
 * reports is what opening the log would do, and it changes nothing, so it is safe on the
 * directory of a node that has just crashed.
 *
 * <p>Exit status: 0 clean or torn tail, 1 corrupt, 2 usage error or not a log.
 */
public final class WalCommand {
    public static final int EXIT_OK = 0;
    public static final int EXIT_CORRUPT = 1;
    public static final int EXIT_USAGE = 2;
    /** Payload bytes shown per record; enough to recognise a key, short enough for one line. */
    static final int PREVIEW_BYTES_MAX = 32;
    private static final String USAGE = "usage: confman wal dump [--write-batch-bytes-max N] DIR";
    private static final String BATCH_OPTION = "--write-batch-bytes-max";

    private WalCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command with the given streams and returns the exit status (tests call this). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        long writeBatchBytesMax = WalOptions.defaults().writeBatchBytesMax();
        if (args.length == 4 && args[0].equals("dump") && args[1].equals(BATCH_OPTION)) {
            try {
                writeBatchBytesMax = Long.parseLong(args[2]);
            } catch (NumberFormatException notANumber) {
                err.println(USAGE);
                return EXIT_USAGE;
            }
            args = new String[] {args[0], args[3]};
        }
        if (args.length != 2 || !args[0].equals("dump") || writeBatchBytesMax < 1) {
            err.println(USAGE);
            return EXIT_USAGE;
        }
        Path dir = Path.of(args[1]);
        if (!Files.isDirectory(dir)) {
            err.println("confman wal dump: " + dir + " is not a directory");
            return EXIT_USAGE;
        }
        try {
            return dump(dir, writeBatchBytesMax, out, err);
        } catch (IOException failure) {
            err.println("confman wal dump: cannot read " + dir + ": " + failure);
            return EXIT_USAGE;
        } catch (RuntimeException unexpected) {
            // A tool run on a damaged directory must answer with one line, never a stack
            // trace; the exception's class and message say what went wrong.
            err.println("confman wal dump: cannot dump " + dir + ": " + unexpected);
            return EXIT_USAGE;
        }
    }

    private static int dump(Path dir, long writeBatchBytesMax, PrintStream out, PrintStream err) throws IOException {
        LogScanner.ScanResult scan = LogScanner.scan(dir, writeBatchBytesMax, (segment, frame, payload) ->
                out.printf("segment=%s offset=%d index=%d term=%d type=%d length=%d payload=%s%n", segment,
                        frame.offset(), frame.index(), frame.term(), frame.type(), frame.payloadLength(),
                        preview(payload)));
        if (scan.logSegmentCount() == 0) {
            err.println("confman wal dump: " + dir + " is not a write-ahead log (it holds no closed or open segment)");
            return EXIT_USAGE;
        }
        TailState tail = scan.tail();
        if (tail instanceof TailState.Clean) {
            out.println("tail: clean");
            return EXIT_OK;
        }
        if (tail instanceof TailState.TornTail torn) {
            out.println("tail: torn tail truncated at segment " + torn.segment() + " offset " + torn.offset()
                    + " (done when the log is opened; dump changed nothing)");
            return EXIT_OK;
        }
        out.println("tail: " + tail);
        err.println("confman wal dump: " + tail);
        return EXIT_CORRUPT;
    }

    /** Up to 32 payload bytes in quotes, printable ASCII as is and every other byte as '.'. */
    static String preview(ByteBuffer payload) {
        StringBuilder text = new StringBuilder("\"");
        int shown = Math.min(payload.remaining(), PREVIEW_BYTES_MAX);
        for (int i = 0; i < shown; i++) {
            int b = Byte.toUnsignedInt(payload.get(payload.position() + i));
            boolean printable = b >= 0x20 && b < 0x7f && b != '"' && b != '\\';
            text.append(printable ? (char) b : '.');
        }
        text.append('"');
        if (payload.remaining() > shown) {
            text.append("...");
        }
        return text.toString();
    }
}
