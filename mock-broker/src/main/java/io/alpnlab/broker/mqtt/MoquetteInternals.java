package io.alpnlab.broker.mqtt;

import io.moquette.broker.Server;
import io.moquette.broker.config.IConfig;
import io.moquette.broker.security.IAuthenticator;
import io.netty.channel.ChannelHandler;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;

/**
 * Moquette 0.17 has no public way in but its TCP acceptor: the handler that turns a channel's MQTT
 * packets into sessions ({@code NewNettyMQTTHandler}) is built inside {@code Server.startServer} and
 * handed only to that acceptor. This builds a second one from the same parts (the server's session
 * registry and post office), so that channels of Netty's local transport reach the same broker.
 * Everything here is pinned to Moquette's internals; {@code EmbeddedMoquetteTest} fails first when an
 * upgrade moves them.
 */
final class MoquetteInternals {

    private static final String PACKAGE = "io.moquette.broker.";

    private MoquetteInternals() {
    }

    static ChannelHandler connectionHandler(Server server, IConfig config, IAuthenticator authenticator) {
        try {
            Object sessions = field(server, "sessions");
            Object postOffice = field(server, "dispatcher");
            Class<?> configurationType = Class.forName(PACKAGE + "BrokerConfiguration");
            Object brokerConfiguration = constructor(configurationType, IConfig.class).newInstance(config);
            Class<?> factoryType = Class.forName(PACKAGE + "MQTTConnectionFactory");
            Object factory = constructor(factoryType, configurationType, IAuthenticator.class, sessions.getClass(),
                    postOffice.getClass()).newInstance(brokerConfiguration, authenticator, sessions, postOffice);
            Class<?> handlerType = Class.forName(PACKAGE + "NewNettyMQTTHandler");
            return (ChannelHandler) constructor(handlerType, factoryType).newInstance(factory);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot reach the embedded Moquette in this JVM: its internals are not"
                    + " those of Moquette " + Server.class.getPackage().getImplementationVersion() + " as expected ("
                    + e + ")", e);
        }
    }

    private static Object field(Server server, String name) throws ReflectiveOperationException {
        Field field = Server.class.getDeclaredField(name);
        field.setAccessible(true);
        Object value = field.get(server);
        if (value == null) {
            throw new IllegalStateException("Server." + name + " is not set: was the server started?");
        }
        return value;
    }

    private static Constructor<?> constructor(Class<?> type, Class<?>... parameters) throws NoSuchMethodException {
        Constructor<?> constructor = type.getDeclaredConstructor(parameters);
        constructor.setAccessible(true);
        return constructor;
    }
}
