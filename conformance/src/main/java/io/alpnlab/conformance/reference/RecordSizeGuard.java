package io.alpnlab.conformance.reference;

import io.alpnlab.broker.tls.TlsRecordScanner;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import javax.net.ssl.SSLException;

/**
 * The reference client's small-record-buffer defect: in front of its TLS engine, refuses any record
 * longer than a 4 KB input buffer holds, as mbedTLS built with MBEDTLS_SSL_IN_CONTENT_LEN 4096 does
 * (MBEDTLS_ERR_SSL_INVALID_RECORD), and closes the connection without an alert.
 */
final class RecordSizeGuard extends ChannelInboundHandlerAdapter {

    static final int INPUT_BUFFER_BYTES = 4096;
    /** What a record may add to its plaintext (RFC 8446 section 5.2): mbedTLS sizes its buffer with it. */
    private static final int EXPANSION_BYTES = 256;

    private final TlsRecordScanner scanner = new TlsRecordScanner();
    private int refused = -1;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf buffer && refused < 0) {
            scanner.scan(buffer, (type, length, first) -> {
                if (length > INPUT_BUFFER_BYTES + EXPANSION_BYTES && refused < 0) {
                    refused = length;
                }
            });
            if (refused >= 0) {
                ReferenceCountUtil.release(msg);
                ctx.fireExceptionCaught(new SSLException("TLS record of " + refused + " bytes exceeds the "
                        + INPUT_BUFFER_BYTES + "-byte input buffer"));
                ctx.close();
                return;
            }
        }
        if (refused >= 0) {
            ReferenceCountUtil.release(msg);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
