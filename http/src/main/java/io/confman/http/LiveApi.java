package io.confman.http;

import io.confman.node.ConfmanNode;
import io.confman.node.LiveView;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The live view's routes (LIVEVIEW.md): the page's three files at {@code /ui}, and the
 * event stream {@code GET /v1/events}, which hands the connection to the node's
 * {@link LiveView} as a watcher until the client goes.
 */
final class LiveApi {

    /** Set by {@code confman dev} in each node's environment: where its controller listens. */
    static final String DEV_CONTROL_ENVIRONMENT = "CONFMAN_DEV_CONTROL";
    static final long PING_INTERVAL_MS = 5_000;
    /** Pings in a row at which the connection was still full: the stream is closed then. */
    static final int STALLED_PINGS_MAX = 2;
    /** The page's files, read once from the jar: file name to bytes (absent when a build lacks one). */
    private final ConfmanNode node;
    private final String devControl;
    private final Map<String, byte[]> files;

    LiveApi(ConfmanNode node) {
        this(node, System.getenv(DEV_CONTROL_ENVIRONMENT));
    }

    LiveApi(ConfmanNode node, String devControl) {
        this.node = node;
        this.devControl = devControl == null || devControl.isBlank() ? null : devControl.strip();
        Map<String, byte[]> read = new TreeMap<>();
        for (String name : List.of("index.html", "app.js", "style.css")) {
            byte[] bytes = LivePage.read(name);
            if (bytes != null) {
                read.put(name, bytes);
            }
        }
        this.files = Map.copyOf(read);
    }

    static boolean isAssetPath(String path) {
        return LivePage.byPath(path) != null;
    }

    CompletableFuture<Reply> asset(ClientRequest request) {
        LivePage.File file = LivePage.byPath(request.rawPath());
        byte[] bytes = file == null ? null : files.get(file.name());
        if (bytes == null) {
            throw ApiError.notFound("the live view's " + request.rawPath() + " is not in this build");
        }
        Reply reply = Reply.bytes(HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes), file.contentType())
                .header("Cache-Control", "no-cache")
                .header("X-Content-Type-Options", "nosniff");
        if (file.page()) {
            reply.header("Content-Security-Policy", LivePage.CONTENT_SECURITY_POLICY);
        }
        return CompletableFuture.completedFuture(reply);
    }

    CompletableFuture<Reply> events(ClientRequest request) {
        LiveView live = node.liveView();
        if (live.watcherCount() >= LiveView.WATCHERS_MAX) {
            throw new ApiError(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_watchers",
                    LiveView.WATCHERS_MAX + " event streams are open on this node already", Map.of("Retry-After", "5"));
        }
        String hello = hello();
        Reply reply = Reply.stream("text/event-stream; charset=utf-8", channel -> stream(channel, live, hello))
                .header("Cache-Control", "no-cache")
                .header("Access-Control-Allow-Origin", "*")
                .header("X-Accel-Buffering", "no");
        return CompletableFuture.completedFuture(reply);
    }

    /** Runs on the connection's event loop once the head is written. */
    private static void stream(Channel channel, LiveView live, String hello) {
        Watcher watcher = new Watcher(channel);
        watcher.offer(LiveView.frame("hello", hello));
        if (!live.watch(watcher)) {
            channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(
                    ": too many watchers\n\n", StandardCharsets.UTF_8))).addListener(f -> channel.close());
            return;
        }
        int[] stalledPings = {0};
        ScheduledFuture<?> ping = channel.eventLoop().scheduleAtFixedRate(() -> {
            if (channel.isWritable()) {
                stalledPings[0] = 0;
                channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(": ping\n\n",
                        StandardCharsets.UTF_8)));
            } else if (++stalledPings[0] >= STALLED_PINGS_MAX) {
                // A reader that took nothing for this long is gone or stuck: free its slot.
                channel.close();
            }
        }, PING_INTERVAL_MS, PING_INTERVAL_MS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(closed -> {
            ping.cancel(false);
            live.unwatch(watcher);
        });
    }

    /** The first frame: who the members are, where to reach them, the timing the page draws. */
    private String hello() {
        return LiveView.hello(node.config(), node.memberClientUrls(), devControl, System.currentTimeMillis());
    }

    /**
     * One stream's side of the node's {@link LiveView}: a frame goes out only while the
     * connection takes it without queueing past Netty's high-water mark; otherwise it is
     * dropped (and the next state replaces a dropped one), so a slow reader costs nothing.
     */
    private static final class Watcher implements LiveView.Watcher {
        private final Channel channel;

        Watcher(Channel channel) {
            this.channel = channel;
        }

        @Override
        public boolean offer(byte[] frame) {
            if (!channel.isActive() || !channel.isWritable()) {
                return false;
            }
            // Wrapped, not copied: every watcher sends the same immutable bytes.
            channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(frame)));
            return true;
        }
    }
}
