package io.alpnlab.broker.policy;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.rules.Rule;
import java.util.List;

/**
 * AWS IoT Core's dispatch of a TLS connection on listener and ALPN, as a table: the rows of the
 * "Protocols, port mappings, and authentication" table in AWS's developer guide. The policy picks
 * a row; the handlers only carry it out. This is the one owner of that table.
 */
public final class AwsRoutes {

    /**
     * One row.
     *
     * @param role the listener
     * @param alpn the ALPN name that selects this row, or null for the listener's default row
     * @param application what the connection carries
     * @param requestCertificate whether a CertificateRequest is due
     * @param acceptedBy the rule under which a completed handshake on this row is accepted
     */
    public record Route(ListenerRole role, String alpn, Application application, boolean requestCertificate,
            Rule acceptedBy) {
    }

    /** Rows in the order AWS prefers them when a client offers several names: certificate MQTT first. */
    public static final List<Route> ROUTES = List.of(
            new Route(ListenerRole.MQTT_8883, null, Application.MQTT_X509, true, Rule.TLS_CERT_03),
            new Route(ListenerRole.HTTPS_8443, null, Application.HTTPS_X509, true, Rule.TLS_CERT_03),
            new Route(ListenerRole.MULTIPLEX_443, ConnectionPolicy.ALPN_MQTT_X509, Application.MQTT_X509, true, Rule.TLS_ALPN_01),
            new Route(ListenerRole.MULTIPLEX_443, ConnectionPolicy.ALPN_HTTPS_X509, Application.HTTPS_X509, true,
                    Rule.TLS_ALPN_04),
            new Route(ListenerRole.MULTIPLEX_443, ConnectionPolicy.ALPN_MQTT_CUSTOM_AUTH, Application.MQTT_CUSTOM_AUTH, false,
                    Rule.TLS_ALPN_05),
            new Route(ListenerRole.MULTIPLEX_443, null, Application.UNAUTHENTICATED_443, false, Rule.TLS_ALPN_03));

    private AwsRoutes() {
    }

    /**
     * The row for a ClientHello: on a listener that dispatches on ALPN, the first row whose name the
     * client offers, else the listener's default row. ALPN has no effect on the other listeners.
     */
    public static Route route(ListenerRole role, ClientHelloFacts hello) {
        Route fallback = null;
        for (Route route : ROUTES) {
            if (route.role() != role) {
                continue;
            }
            if (route.alpn() == null) {
                fallback = route;
            } else if (hello.offersAlpn(route.alpn())) {
                return route;
            }
        }
        if (fallback == null) {
            throw new IllegalStateException("no route for listener role " + role);
        }
        return fallback;
    }
}
