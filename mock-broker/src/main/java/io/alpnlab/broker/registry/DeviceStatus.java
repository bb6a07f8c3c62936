package io.alpnlab.broker.registry;

/** AWS IoT certificate statuses; only ACTIVE certificates may connect. */
public enum DeviceStatus {
    ACTIVE,
    INACTIVE,
    REVOKED,
    PENDING_TRANSFER,
    PENDING_ACTIVATION
}
