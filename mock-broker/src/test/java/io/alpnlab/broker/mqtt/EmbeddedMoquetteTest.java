package io.alpnlab.broker.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The front door's links to the embedded Moquette, in this JVM, as MQTT clients see them. */
class EmbeddedMoquetteTest {

    private EventLoopGroup group;
    private EmbeddedMoquette moquette;

    @BeforeEach
    void start() {
        group = new NioEventLoopGroup(2);
        moquette = EmbeddedMoquette.start(group);
    }

    @AfterEach
    void stop() {
        moquette.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void the_link_is_in_this_jvm_and_moquette_opens_no_port() {
        assertInstanceOf(LocalAddress.class, moquette.address());
        assertEquals("embedded Moquette, in this JVM (no port)", moquette.describe());
    }

    /**
     * A client that publishes and goes away at once (no DISCONNECT, as a device losing power) still
     * has every publish delivered, as over TCP: the close must not overtake the packets before it.
     */
    @Test
    void a_client_s_last_publishes_before_it_goes_away_reach_the_subscriber() throws InterruptedException {
        Recorder subscriber = new Recorder();
        BackendLink subscriberLink = open("last-words-sub", subscriber);
        assertEquals(MqttMessageType.CONNACK, subscriber.next().fixedHeader().messageType());
        subscriberLink.send(MqttMessageBuilders.subscribe().messageId(1)
                .addSubscription(MqttQoS.AT_MOST_ONCE, "last-words/t").build());
        assertEquals(MqttMessageType.SUBACK, subscriber.next().fixedHeader().messageType());

        Recorder publisher = new Recorder();
        BackendLink publisherLink = open("last-words", publisher);
        assertEquals(MqttMessageType.CONNACK, publisher.next().fixedHeader().messageType());
        int count = 300;
        group.next().execute(() -> {
            for (int i = 0; i < count; i++) {
                publisherLink.send(MqttMessageBuilders.publish().topicName("last-words/t").qos(MqttQoS.AT_MOST_ONCE)
                        .payload(Unpooled.copiedBuffer("reading " + i, StandardCharsets.UTF_8)).build());
            }
            publisherLink.close();
        });
        List<String> delivered = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MqttMessage message = subscriber.next();
            assertEquals(MqttMessageType.PUBLISH, message.fixedHeader().messageType(), delivered.size() + " delivered");
            delivered.add(((MqttPublishMessage) message).payload().toString(StandardCharsets.UTF_8));
        }
        assertEquals("reading 0", delivered.get(0));
        assertEquals("reading " + (count - 1), delivered.get(count - 1));
        subscriberLink.close();
    }

    /** Only the front door's credentials open a session: the second lock after having no port. */
    @Test
    void a_connect_without_the_front_door_password_is_refused() throws InterruptedException {
        Recorder stranger = new Recorder();
        BackendLink link = BackendConnection.open(group.next(), new MqttBackend() {
            @Override
            public LocalAddress address() {
                return moquette.address();
            }

            @Override
            public String username() {
                return EmbeddedMoquette.USERNAME;
            }

            @Override
            public String password() {
                return "guessed";
            }

            @Override
            public String describe() {
                return "a stranger";
            }

            @Override
            public void close() {
            }
        }, "stranger", true, stranger);
        MqttConnAckMessage connack = (MqttConnAckMessage) stranger.next();
        assertEquals(MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD,
                connack.variableHeader().connectReturnCode());
        link.close();
    }

    private BackendLink open(String clientId, Recorder recorder) {
        return BackendConnection.open(group.next(), moquette, clientId, true, recorder);
    }

    /** What one link receives, copied out so that the test owns nothing reference-counted. */
    private static final class Recorder implements BackendConnection.Listener {
        private final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();

        @Override
        public void fromBackend(MqttMessage message) {
            if (message instanceof MqttPublishMessage publish) {
                received.add(publish.replace(Unpooled.copiedBuffer(publish.payload())));
            } else {
                received.add(message);
            }
            ReferenceCountUtil.release(message);
        }

        @Override
        public void backendClosed() {
        }

        MqttMessage next() throws InterruptedException {
            MqttMessage message = received.poll(10, TimeUnit.SECONDS);
            if (message == null) {
                throw new AssertionError("nothing from the back end within 10 s");
            }
            return message;
        }
    }
}
