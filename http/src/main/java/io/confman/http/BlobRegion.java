package io.confman.http;

import io.confman.storage.blob.BlobReader;
import io.netty.channel.DefaultFileRegion;

/**
 * A range of a blob's file handed to the socket without copying: {@code sendfile(2)} on the
 * epoll transport, {@code FileChannel.transferTo} on NIO (both take a
 * {@link DefaultFileRegion}). The region owns the blob's reader: Netty releases the region
 * once it is written, or when the write fails or the channel is closed, and that closes the
 * reader, so a file is never left open whatever happens to the connection.
 */
final class BlobRegion extends DefaultFileRegion {

    private final BlobReader reader;

    BlobRegion(Reply.FileBody file) {
        super(file.reader().channel(), file.position(), file.lengthBytes());
        this.reader = file.reader();
    }

    /** Replaces closing the channel alone: the reader owns the channel and closes it with whatever else it holds. */
    @Override
    protected void deallocate() {
        Reply.closeQuietly(reader);
    }
}
