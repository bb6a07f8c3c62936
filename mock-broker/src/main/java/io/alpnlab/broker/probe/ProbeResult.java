package io.alpnlab.broker.probe;

import java.util.List;

/**
 * How the endpoint answered one probe.
 *
 * @param id the probe
 * @param outcome {@code handshake_complete}, {@code alert:<name>} (the server's alert), {@code closed}, {@code timeout},
 *     {@code connection_refused}, or {@code client_refused:<alert>} (what the server sent broke TLS for the client)
 * @param version the version the ServerHello chose, or null
 * @param alpn the ALPN name the server selected, or null
 * @param certificateRequest whether the server asked for a client certificate
 * @param chain the DER sizes of the certificates the server sent, leaf first
 * @param serverExtensions the extensions of the ServerHello (and, in TLS 1.3, EncryptedExtensions), by name
 * @param mqtt the first answer to an MQTT CONNECT ({@code CONNACK <code>}, {@code closed}, {@code no answer}, an alert),
 *     or null when none was sent
 */
public record ProbeResult(String id, String outcome, String version, String alpn, boolean certificateRequest,
        List<Integer> chain, List<String> serverExtensions, String mqtt) {
}
