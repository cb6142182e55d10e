import Foundation
import Hummingbird
import Logging

/// The sandbox as a real HTTP server (Hummingbird), for tests, benchmarks and `outbound demo`.
public enum SandboxServer {
    /// - Parameters:
    ///   - onListening: called with the bound port once the server listens (useful with port 0).
    ///   - observer: called after each answer is computed and before it is sent (tests use it to act at an exact
    ///     point of a conversation, e.g. cancel a run right after its second import).
    public static func buildApplication(
        sandbox: Sandbox,
        host: String = "127.0.0.1",
        port: Int,
        logger: Logger = Logger(label: "activecampaign-sandbox"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in },
        observer: (@Sendable (SandboxRequest, SandboxResponse) async -> Void)? = nil
    ) -> some ApplicationProtocol {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            // Read a little past the importer's limit, so an oversized payload gets ActiveCampaign's own 400.
            let body = try await request.collectBody(upTo: 4 << 20)
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            let received = SandboxRequest(
                method: request.method.rawValue,
                path: request.uri.path,
                query: query,
                apiToken: request.headers[.init("Api-Token")!],
                body: Data(buffer: body)
            )
            let response = await sandbox.handle(received)
            await observer?(received, response)
            var headers: HTTPFields = [.contentType: response.contentType]
            for (name, value) in response.headers { headers[.init(name)!] = value }
            return Response(
                status: .init(code: response.status),
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: response.body))
            )
        }
        for method in [HTTPRequest.Method.get, .post] {
            router.on("api/**", method: method, use: handler)
        }
        for method in [HTTPRequest.Method.get, .post, .delete] {
            router.on("__sandbox/**", method: method, use: handler)
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "ActiveCampaign-Sandbox"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
