package dev.panflow.serve;

import io.helidon.common.socket.HelidonSocket;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1ConnectionListener;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Whether the client of a request is still connected. Helidon runs a connection's requests on
 * that connection's thread and tells a receive listener of each request line with the
 * connection's context, so the listener leaves the context in a thread-local for the handler.
 * Helidon's public socket API cannot tell a closed peer (its plain-socket {@code isConnected}
 * means "not closed by us"), so {@link #probe} reads the connection's channel without blocking
 * (the channel Helidon's {@code NioSocket} wraps; found by reflection, version-pinned, and
 * without it a link is {@link #UNKNOWN}): end-of-stream or a reset means the client left. An
 * HTTP/1.1 client sends nothing more before its answer unless it pipelines; a probe that reads
 * a byte of a pipelined request stops probing, shuts the connection's input (Helidon then ends
 * the connection after this answer, instead of reading a request that lost its first byte) and
 * the answer says {@code Connection: close} ({@link #mustClose}); a pipelining client must be
 * ready to send the rest again (RFC 9112 §9.3.2).
 */
final class ClientLink {
    private static final ThreadLocal<ConnectionContext> CURRENT = new ThreadLocal<>();
    private static final Field CHANNEL = channelField();

    /** Registered with the server's HTTP/1 config: remembers the connection of the request about to be routed. */
    static final Http1ConnectionListener LISTENER = new Http1ConnectionListener() {
        @Override
        public void prologue(ConnectionContext ctx, HttpPrologue prologue) { CURRENT.set(ctx); }
    };

    /** A client we cannot watch: never seen as gone. */
    static final ClientLink UNKNOWN = new ClientLink(null);

    private final SocketChannel channel; // null: cannot be watched
    private final ByteBuffer one = ByteBuffer.allocate(1);
    private volatile boolean gone;
    private boolean readAhead; // a probe took a byte of the next request: probe no more, close after the answer

    private ClientLink(SocketChannel channel) { this.channel = channel; }

    /** The link of {@code req}'s connection, on the thread routing it; call after its body is read. */
    static ClientLink of(ServerRequest req) {
        ConnectionContext ctx = CURRENT.get();
        if (CHANNEL == null || ctx == null || !ctx.childSocketId().equals(req.socketId()) || !ctx.socketId().equals(req.serverSocketId()))
            return UNKNOWN;
        HelidonSocket s = ctx.serverSocket();
        if (!CHANNEL.getDeclaringClass().isInstance(s)) return UNKNOWN; // TLS, or another socket kind
        try {
            return new ClientLink((SocketChannel) CHANNEL.get(s));
        } catch (IllegalAccessException e) {
            return UNKNOWN;
        }
    }

    /**
     * Looks whether the client closed its side: a read that does not block. Only on the thread
     * that routes the request (Helidon does not read the connection meanwhile).
     */
    void probe() {
        if (channel == null || gone || readAhead) return;
        try {
            synchronized (channel.blockingLock()) {
                channel.configureBlocking(false);
                try {
                    int r = channel.read(one.clear());
                    if (r < 0) gone = true;
                    else if (r > 0) { // the start of a pipelined request, now lost: take no more, so the connection ends after this answer
                        readAhead = true;
                        channel.shutdownInput();
                    }
                } finally {
                    channel.configureBlocking(true);
                }
            }
        } catch (IOException e) { // reset by the peer
            gone = true;
        } catch (RuntimeException e) { // e.g. the channel is registered with a selector: give up watching
            readAhead = true;
        }
    }

    /** True once a probe saw the client gone (readable from any thread). */
    boolean gone() { return gone; }

    /** True if a probe consumed the start of a pipelined request: the answer must close the connection. */
    boolean mustClose() { return readAhead; }

    private static Field channelField() {
        try {
            Field f = Class.forName("io.helidon.common.socket.NioSocket").getDeclaredField("delegate");
            if (f.getType() != SocketChannel.class) return null;
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
