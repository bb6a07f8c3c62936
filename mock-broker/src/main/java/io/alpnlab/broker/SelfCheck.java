package io.alpnlab.broker;

import io.alpnlab.broker.mqtt.BlockingMqtt;
import io.alpnlab.certs.PemTls;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
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
            out.write(BlockingMqtt.connect("alpnlab-self-check"));
            out.flush();
            return connack(socket.getInputStream());
        } catch (IOException | RuntimeException e) {
            return "the device connection failed: " + e;
        }
    }

    private static String connack(InputStream in) throws IOException {
        MqttMessage answer = BlockingMqtt.firstPacket(in);
        if (answer == null) {
            return "the broker closed the connection without a CONNACK";
        }
        if (!(answer instanceof MqttConnAckMessage connack)) {
            return "the broker answered CONNECT with " + answer;
        }
        MqttConnectReturnCode code = connack.variableHeader().connectReturnCode();
        return code == MqttConnectReturnCode.CONNECTION_ACCEPTED ? null : "CONNACK " + code;
    }
}
