package io.confman.bench.load;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection, used by one worker at a time: a blocking socket, a
 * request written with one flush, the answer parsed by hand (status line, the few headers
 * the driver needs, a body by {@code Content-Length} or chunked, read and dropped or kept).
 *
 * <p>A load driver on the same machine as the servers takes CPU from them, so its cost per
 * request is part of every figure: this costs two system calls and a few small parses per
 * request, a fraction of what a general client with a selector thread and a hand-off per
 * answer costs, and it is the same for every server measured.
 */
final class HttpConnection implements Closeable {

    /** The answer: its status, its {@code ETag} (or null), its body when kept (or null). */
    record Response(int status, String etag, byte[] body) {
    }

    /** Where the request body comes from: bytes in hand, or a stream of known length. */
    interface Body {
        long length();

        void writeTo(OutputStream out) throws IOException;

        static Body of(byte[] bytes) {
            return new Body() {
                @Override
                public long length() {
                    return bytes.length;
                }

                @Override
                public void writeTo(OutputStream out) throws IOException {
                    out.write(bytes);
                }
            };
        }
    }

    private static final int BUFFER_BYTES = 64 * 1024;
    /** A kept body larger than this is an error: the driver keeps only small JSON answers. */
    static final int KEPT_BODY_MAX = 16 * 1024 * 1024;
    private static final int LINE_MAX = 64 * 1024;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String host;
    private final byte[] discard = new byte[BUFFER_BYTES];
    private boolean open = true;
    private long lastUsedNanos = System.nanoTime();

    private HttpConnection(Socket socket, String host) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES);
        this.out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES);
        this.host = host;
    }

    /**
     * Connects to {@code base}'s host and port. A {@link java.net.ConnectException} or a
     * {@link java.net.SocketTimeoutException} from here means nothing was sent.
     */
    static HttpConnection open(URI base, int connectTimeoutMs, int readTimeoutMs) throws IOException {
        int port = base.getPort() >= 0 ? base.getPort() : 80;
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(readTimeoutMs);
            socket.connect(new InetSocketAddress(base.getHost(), port), connectTimeoutMs);
            return new HttpConnection(socket, base.getHost() + ":" + port);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    boolean isOpen() {
        return open;
    }

    /** Nanoseconds since the last answer was read (or since the connection was made). */
    long idleNanos() {
        return System.nanoTime() - lastUsedNanos;
    }

    /**
     * Sends one request and reads its answer whole. {@code extraHeaders} are complete header
     * lines without the line end. On any I/O error the connection is closed and the error
     * thrown: the request's outcome is then unknown.
     */
    Response exchange(String method, String target, String[] extraHeaders, Body body, boolean keepBody)
            throws IOException {
        try {
            StringBuilder head = new StringBuilder(160).append(method).append(' ').append(target)
                    .append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
            for (String header : extraHeaders) {
                head.append(header).append("\r\n");
            }
            if (body != null) {
                head.append("Content-Length: ").append(body.length()).append("\r\n");
            }
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                body.writeTo(out);
            }
            out.flush();
            Response response = readResponse(keepBody);
            lastUsedNanos = System.nanoTime();
            return response;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private Response readResponse(boolean keepBody) throws IOException {
        int status;
        String etag;
        long contentLength;
        boolean chunked;
        boolean closeAfter;
        do { // an interim (1xx) answer is skipped whole; the real one follows
            etag = null;
            contentLength = -1;
            chunked = false;
            String statusLine = readLine();
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new IOException("not an HTTP/1.x status line: '" + statusLine + "'");
            }
            status = (int) number(statusLine.substring(9, 12), "status");
            closeAfter = statusLine.startsWith("HTTP/1.0");
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("a malformed header line: '" + line + "'");
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> contentLength = number(value, "Content-Length");
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "etag" -> etag = value;
                    case "connection" -> closeAfter = value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
        } while (status >= 100 && status < 200);
        ByteArrayOutputStream kept = keepBody ? new ByteArrayOutputStream() : null;
        if (status == 204 || status == 304) {
            // No body, whatever the headers say (RFC 9112 section 6.3).
        } else if (chunked) {
            for (long size = chunkSize(); size > 0; size = chunkSize()) {
                copy(size, kept);
                if (!readLine().isEmpty()) {
                    throw new IOException("a chunk not followed by its line end");
                }
            }
            while (!readLine().isEmpty()) {
                // trailer lines, ignored
            }
        } else if (contentLength >= 0) {
            copy(contentLength, kept);
        } else {
            // No length: the body runs to the end of the connection.
            copy(Long.MAX_VALUE, kept);
            closeAfter = true;
        }
        if (closeAfter) {
            close();
        }
        return new Response(status, etag, kept == null ? null : kept.toByteArray());
    }

    private static long number(String text, String what) throws IOException {
        try {
            long value = Long.parseLong(text.trim());
            if (value < 0) {
                throw new NumberFormatException("negative");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IOException("a malformed " + what + ": '" + text + "'");
        }
    }

    private long chunkSize() throws IOException {
        String line = readLine();
        int extension = line.indexOf(';');
        try {
            return Long.parseLong((extension >= 0 ? line.substring(0, extension) : line).trim(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("a malformed chunk size line: '" + line + "'");
        }
    }

    /** Reads {@code length} bytes (to the end of the stream for {@code Long.MAX_VALUE}), keeping them if asked. */
    private void copy(long length, ByteArrayOutputStream kept) throws IOException {
        long left = length;
        while (left > 0) {
            int read = in.read(discard, 0, (int) Math.min(discard.length, left));
            if (read < 0) {
                if (length == Long.MAX_VALUE) {
                    return;
                }
                throw new EOFException("the connection ended " + left + " bytes before the body's end");
            }
            if (kept != null) {
                if (kept.size() + read > KEPT_BODY_MAX) {
                    throw new IOException("an answer body over " + KEPT_BODY_MAX + " bytes");
                }
                kept.write(discard, 0, read);
            }
            left -= read;
        }
    }

    /** One header or status line without its CRLF; ISO-8859-1, as HTTP/1.1 defines header bytes. */
    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection ended inside an answer's head");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() >= LINE_MAX) {
                throw new IOException("an answer line over " + LINE_MAX + " bytes");
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() {
        open = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a socket that failed already
        }
    }
}
