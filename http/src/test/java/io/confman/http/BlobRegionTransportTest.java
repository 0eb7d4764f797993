package io.confman.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.confman.storage.blob.BlobReader;
import io.confman.storage.blob.BlobStore;
import io.confman.storage.blob.BlobUpload;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blob's file region goes out whole on both transports the server may pick (sendfile on
 * epoll, transferTo on NIO), and the reader is closed once it has.
 */
class BlobRegionTransportTest {

    @TempDir
    Path dir;

    @Test
    void nio() throws Exception {
        sendsTheRange(NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }

    @Test
    void epoll() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        sendsTheRange(EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }

    private void sendsTheRange(IoHandlerFactory io, Class<? extends ServerChannel> channelClass) throws Exception {
        byte[] bytes = new byte[3 * 1024 * 1024 + 5];
        new Random(7).nextBytes(bytes);
        int first = 1000;
        int length = bytes.length - 2000;
        try (BlobStore store = BlobStore.open(dir.resolve("blobs"))) {
            BlobReader reader;
            try (BlobUpload upload = store.begin()) {
                upload.write(ByteBuffer.wrap(bytes));
                reader = store.open(upload.finish(null));
            }
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, io);
            try {
                Channel server = new ServerBootstrap().group(group).channel(channelClass)
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.writeAndFlush(new BlobRegion(new Reply.FileBody(reader, first, length)))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        })
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
                int port = ((InetSocketAddress) server.localAddress()).getPort();
                try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    socket.setSoTimeout((int) FrontCluster.WAIT.toMillis());
                    InputStream in = socket.getInputStream();
                    assertArrayEquals(Arrays.copyOfRange(bytes, first, first + length), in.readAllBytes());
                }
                FrontCluster.await("the reader closed after the region was written",
                        () -> reader.channel().isOpen() ? null : Boolean.TRUE);
                assertFalse(reader.channel().isOpen());
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }
}
