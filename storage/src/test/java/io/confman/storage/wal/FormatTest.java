package io.confman.storage.wal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FormatTest {
    /** The worked example of FORMAT.md section 2.4, byte for byte. */
    private static final String WORKED_EXAMPLE = ""
            + "434f4e464d57414c" + "01000000" + "00000000" + "0100000000000000" + "4abc0714" + "00000000"
            + "01" + "01" + "0000" + "05000000" + "0100000000000000" + "0100000000000000" + "31ff0c6a"
            + "68656c6c6f" + "00000000000000";

    @Test
    void codeWritesTheWorkedExampleOfTheDocument() {
        ByteBuffer bytes = ByteBuffer.allocate(72);
        Format.encodeSegmentHeader(bytes, 1);
        Format.encodeFrame(bytes, new LogRecord(1, 1, 1, "hello".getBytes(StandardCharsets.US_ASCII)),
                Format.FLAG_BATCH_START);
        assertEquals(72, bytes.position());
        assertEquals(WORKED_EXAMPLE, HexFormat.of().formatHex(bytes.array()));
    }

    /** The bytes column of the worked example in FORMAT.md is the same image. */
    @Test
    void documentShowsTheWorkedExample() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("FORMAT.md"));
        int start = lines.indexOf("offset  bytes                     meaning");
        StringBuilder hex = new StringBuilder();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.trim().startsWith("72 ")) {
                break;
            }
            hex.append(line.substring(8, 34).replace(" ", ""));
        }
        assertEquals(WORKED_EXAMPLE, hex.toString());
    }

    @Test
    void headerAndFrameDecodeBack() {
        ByteBuffer bytes = ByteBuffer.wrap(HexFormat.of().parseHex(WORKED_EXAMPLE));
        assertEquals(1, Format.decodeSegmentHeader(bytes));
        Format.Frame frame = Format.decodeFrame(bytes, 32, 72);
        assertEquals(new Format.Frame(32, 1, Format.FLAG_BATCH_START, 1, 1, 5), frame);
        assertEquals(65, frame.endOffset());
    }

    @Test
    void framesArePaddedToEightBytes() {
        assertEquals(32, Format.frameBytes(0));
        assertEquals(32, Format.frameBytes(4));
        assertEquals(40, Format.frameBytes(5));
        assertEquals(40, Format.frameBytes(12));
    }

    @Test
    void zeroTypeAndNonZeroReservedBytesAreNotFrames() {
        byte[] example = HexFormat.of().parseHex(WORKED_EXAMPLE);
        byte[] zeroType = example.clone();
        zeroType[32] = 0;
        assertNull(Format.decodeFrame(ByteBuffer.wrap(zeroType), 32, 72));
        byte[] unknownFlag = example.clone();
        unknownFlag[33] = 2;
        assertNull(Format.decodeFrame(ByteBuffer.wrap(unknownFlag), 32, 72), "flag bits 1..7 are reserved");
        byte[] reserved = example.clone();
        reserved[34] = 1;
        assertNull(Format.decodeFrame(ByteBuffer.wrap(reserved), 32, 72));
        assertNull(Format.decodeFrame(ByteBuffer.wrap(example), 32, 64), "payload runs past the end");
        assertNull(Format.decodeFrame(ByteBuffer.allocate(72), 32, 72), "zeros are not a frame");
    }

    @Test
    void damagedSegmentHeaderIsRejectedWithAReason() {
        byte[] example = HexFormat.of().parseHex(WORKED_EXAMPLE);
        example[16] = 2;
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> Format.decodeSegmentHeader(ByteBuffer.wrap(example)));
        assertEquals("segment header CRC mismatch", thrown.getMessage());
    }

    @Test
    void recordsRejectTypeZeroAndOtherInvalidFields() {
        assertThrows(IllegalArgumentException.class, () -> new LogRecord(1, 1, 0, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new LogRecord(1, 1, 256, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new LogRecord(0, 1, 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new LogRecord(1, 0, 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new LogRecord(1, 1, 1, null));
    }
}
