package io.alpnlab.broker;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.BindException;
import java.net.InetAddress;
import java.util.Locale;

/** Opens the broker's listening sockets, and says in a sentence a user can act on why one could not open. */
final class Listeners {

    private Listeners() {
    }

    static Channel bind(EventLoopGroup group, InetAddress address, ListenerRole role, int port, ChannelHandler initializer) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
        try {
            return bootstrap.bind(address, port).sync().channel();
        } catch (Exception e) {
            throw bindFailure(address, role, port, e);
        }
    }

    private static IllegalStateException bindFailure(InetAddress address, ListenerRole role, int port, Exception cause) {
        String why = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        String hint = "";
        if (cause instanceof BindException && why.toLowerCase(Locale.ROOT).contains("permission") && port < 1024) {
            hint = "; ports below 1024 need root or CAP_NET_BIND_SERVICE: choose another port, e.g. --port "
                    + role.roleName() + "=10443, and tell the client that port";
        } else if (why.toLowerCase(Locale.ROOT).contains("in use")) {
            hint = "; another program holds it: stop it, or choose another port with --port " + role.roleName() + "=<port>";
        }
        return new IllegalStateException("cannot listen as " + role + " on " + address.getHostAddress() + ":" + port
                + " (" + why + ")" + hint, cause);
    }
}
