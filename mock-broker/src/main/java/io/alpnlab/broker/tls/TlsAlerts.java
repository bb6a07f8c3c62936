package io.alpnlab.broker.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.bouncycastle.tls.AlertLevel;

/**
 * The fatal alert a server owes a client whose first flight it cannot take, written as a plaintext
 * record: Bouncy Castle writes nothing before a ClientHello it could parse (it does not know the
 * version yet), and RFC 8446 section 6 and RFC 5246 section 7.2.2 still want the alert. The record
 * version is TLS 1.2's, which every client accepts on a record before the ServerHello.
 */
final class TlsAlerts {

    private static final int ALERT_CONTENT_TYPE = 21;

    private TlsAlerts() {
    }

    static ByteBuf plaintextFatal(ByteBufAllocator allocator, short description) {
        ByteBuf record = allocator.buffer(7);
        record.writeByte(ALERT_CONTENT_TYPE).writeShort(0x0303).writeShort(2).writeByte(AlertLevel.fatal).writeByte(description);
        return record;
    }
}
