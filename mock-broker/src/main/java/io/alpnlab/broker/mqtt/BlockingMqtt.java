package io.alpnlab.broker.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.IOException;
import java.io.InputStream;

/**
 * The device side of one MQTT exchange over a blocking stream, with Netty's codec: a CONNECT's bytes, and the first
 * packet that comes back. For the tools that talk to a broker as a device would (the self-check, the fidelity probe).
 */
public final class BlockingMqtt {

    private BlockingMqtt() {
    }

    /** A CONNECT, MQTT 3.1.1, clean session, keep-alive 30 s, in MQTT's wire format. */
    public static byte[] connect(String clientId) {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        try {
            encoder.writeOutbound(MqttMessageBuilders.connect().clientId(clientId).protocolVersion(MqttVersion.MQTT_3_1_1)
                    .cleanSession(true).keepAlive(30).build());
            ByteBuf bytes = encoder.readOutbound();
            byte[] wire = new byte[bytes.readableBytes()];
            bytes.readBytes(wire);
            bytes.release();
            return wire;
        } finally {
            encoder.finishAndReleaseAll();
        }
    }

    /**
     * The first packet read from the stream, or null when it ends first; bytes that are not MQTT come back as a message
     * whose decoder result failed.
     */
    public static MqttMessage firstPacket(InputStream in) throws IOException {
        EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder());
        try {
            byte[] buffer = new byte[4096];
            while (true) {
                int read = in.read(buffer);
                if (read < 0) {
                    return null;
                }
                decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, read));
                Object message = decoder.readInbound();
                if (message instanceof MqttMessage packet) {
                    return packet;
                }
            }
        } finally {
            decoder.finishAndReleaseAll();
        }
    }
}
