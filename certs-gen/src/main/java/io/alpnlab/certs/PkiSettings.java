package io.alpnlab.certs;

import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the test PKI is generated for.
 *
 * @param endpointNames the broker's endpoint names (SNI values), first one the default; {@code localhost} is always added to server leaves
 * @param ipAddresses extra IP SANs for server leaves, for clients that connect by address
 * @param deviceName the thing name put in device certificate subjects
 * @param clock the time validity periods are computed from (tests move it)
 */
public record PkiSettings(List<String> endpointNames, List<InetAddress> ipAddresses, String deviceName, Clock clock) {

    /**
     * Shaped like an AWS IoT Core ATS endpoint ({@code <prefix>-ats.iot.<region>.amazonaws.com}) but
     * under the {@code .test} top-level domain, which RFC 2606 reserves so it can never reach a real host.
     */
    public static final String DEFAULT_ENDPOINT = "alpnlab-ats.iot.eu-west-1.alpnlab.test";
    public static final String DEFAULT_DEVICE_NAME = "alpnlab-device-1";

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)(\\*\\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*");

    public PkiSettings {
        endpointNames = List.copyOf(endpointNames);
        ipAddresses = List.copyOf(ipAddresses);
        Objects.requireNonNull(deviceName, "deviceName");
        Objects.requireNonNull(clock, "clock");
        if (endpointNames.isEmpty()) {
            throw new IllegalArgumentException("at least one endpoint name is needed");
        }
        for (String name : endpointNames) {
            if (!DNS_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + name + "' is not a valid DNS host name");
            }
        }
        if (deviceName.isBlank() || deviceName.length() > 128) {
            throw new IllegalArgumentException("device name must be 1..128 characters, got '" + deviceName + "'");
        }
    }

    public static PkiSettings defaults() {
        return new PkiSettings(List.of(DEFAULT_ENDPOINT), List.of(), DEFAULT_DEVICE_NAME, Clock.systemUTC());
    }

    public PkiSettings withClock(Clock value) {
        return new PkiSettings(endpointNames, ipAddresses, deviceName, value);
    }

    public PkiSettings withEndpointNames(List<String> names) {
        return new PkiSettings(names, ipAddresses, deviceName, clock);
    }

    public PkiSettings withIpAddresses(List<InetAddress> addresses) {
        return new PkiSettings(endpointNames, addresses, deviceName, clock);
    }

    public PkiSettings withDeviceName(String name) {
        return new PkiSettings(endpointNames, ipAddresses, name, clock);
    }

    public String primaryEndpoint() {
        return endpointNames.get(0);
    }

    /** DNS names for server leaves: the endpoint names, then {@code localhost}. */
    List<String> serverDnsNames() {
        List<String> names = new ArrayList<>(endpointNames);
        if (!names.contains("localhost")) {
            names.add("localhost");
        }
        return names;
    }
}
