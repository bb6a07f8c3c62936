package io.alpnlab.broker;

import io.alpnlab.certs.PemTls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One device connection against a running broker, as a device makes it: TLS 1.3 with SNI and the
 * PKI's device certificate on the 8883 listener, verified against the PKI's roots, then an MQTT
 * CONNECT answered by an accepted CONNACK. {@code mock-broker --self-check} runs it and exits; the
 * container image runs it once at build time so that its class-data-sharing archive holds every
 * class a first connection loads.
 */
final class SelfCheck {

    private SelfCheck() {
    }

    /** Returns what went wrong, in a line, or null when the device was connected and accepted. */
    static String connect(MockBroker broker, BrokerPki files, String endpoint) {
        try (SSLSocket socket = (SSLSocket) PemTls.context(files.deviceKey(), files.deviceCertificate(),
                files.trustBundle()).getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                broker.port(ListenerRole.MQTT_8883))) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(endpoint)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            parameters.setProtocols(new String[] {"TLSv1.3"});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(encode());
            out.flush();
            return connack(socket.getInputStream());
        } catch (IOException | RuntimeException e) {
            return "the device connection failed: " + e;
        }
    }

    /** A CONNECT in MQTT's wire format, from Netty's codec. */
    private static byte[] encode() {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.writeOutbound(MqttMessageBuilders.connect().clientId("alpnlab-self-check").protocolVersion(MqttVersion.MQTT_3_1_1)
                .cleanSession(true).keepAlive(30).build());
        ByteBuf bytes = encoder.readOutbound();
        byte[] wire = new byte[bytes.readableBytes()];
        bytes.readBytes(wire);
        bytes.release();
        encoder.finishAndReleaseAll();
        return wire;
    }

    private static String connack(InputStream in) throws IOException {
        EmbeddedChannel decoder = new EmbeddedChannel(new MqttDecoder());
        try {
            byte[] buffer = new byte[256];
            while (true) {
                int read = in.read(buffer);
                if (read < 0) {
                    return "the broker closed the connection without a CONNACK";
                }
                decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, read));
                Object message = decoder.readInbound();
                if (message instanceof MqttConnAckMessage connack) {
                    MqttConnectReturnCode code = connack.variableHeader().connectReturnCode();
                    return code == MqttConnectReturnCode.CONNECTION_ACCEPTED ? null : "CONNACK " + code;
                }
                if (message != null) {
                    return "the broker answered CONNECT with " + message;
                }
            }
        } finally {
            decoder.finishAndReleaseAll();
        }
    }
}
