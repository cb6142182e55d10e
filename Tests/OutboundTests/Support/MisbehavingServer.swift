import NIOCore
import NIOPosix

/// A TCP server on a free loopback port that misbehaves in one fixed way, so a transport failure is the only
/// possible outcome of a request to it (not a race between a slow answer and a timeout).
enum MisbehavingServer {
    enum Behaviour: Sendable {
        /// Answers the first bytes (a TLS ClientHello) with a fatal TLS alert and closes: the handshake fails at once.
        case tlsAlert
        /// Accepts and reads, and never writes a byte: only the client's read timeout can end the request.
        case silent
    }

    static func with<T: Sendable>(_ behaviour: Behaviour, _ body: (Int) async throws -> T) async throws -> T {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        do {
            let result = try await body(port)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour

        init(behaviour: Behaviour) { self.behaviour = behaviour }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .tlsAlert = behaviour else { return }
            // TLS record: alert (21), version 3.3, length 2, level fatal (2), handshake_failure (40).
            let alert = context.channel.allocator.buffer(bytes: [21, 3, 3, 0, 2, 2, 40])
            context.writeAndFlush(wrapOutboundOut(alert), promise: nil)  // the client closes after a fatal alert
        }
    }
}
