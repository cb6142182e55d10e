import Hummingbird
import HummingbirdTesting
import Testing

@testable import Web

/// Uptime monitors and link checkers send HEAD: every page that answers GET answers HEAD the same, bodiless.
@Suite struct HeadRequestTests {
    @Test func everyGetRouteAnswersHeadLikeGetWithoutABody() async throws {
        let world = try await TestWorld.make()
        let ours = try await world.connect(name: "Acme AC", key: "acme-key", host: "acme.api-us1.com")
        let getPaths = try await world.router().routes.filter { $0.method == .get }.map { route in
            route.path.description
                .replacingOccurrences(of: "{tenant}", with: "acme")
                .replacingOccurrences(of: "{userId}", with: String(world.userId("carol@acme.test")))
                .replacingOccurrences(of: "{id}", with: String(ours.id!))
                .replacingOccurrences(of: "{run}", with: "1")
        }
        #expect(getPaths.count >= 20)
        try await world.app().test(.router) { client in
            var alice = Browser(client: client)
            try await alice.signIn("alice@acme.test")
            for path in getPaths + ["/app.css", "/no-such-page", "/t/globex/data/profiles"] {
                let get = try await alice.get(path)
                let head = try await client.execute(uri: path, method: .head, headers: [.cookie: alice.cookie]) { $0 }
                #expect(head.status == get.status, "HEAD \(path): \(head.status), GET: \(get.status)")
                #expect(head.body.readableBytes == 0, "HEAD \(path) sent a body")
                #expect(head.headers[.contentType] == get.headers[.contentType], "HEAD \(path)")
                #expect(head.headers[.contentLength] == get.headers[.contentLength], "HEAD \(path)")
            }
            // Signed out: the same redirect to sign in, and the health check monitors poll.
            for path in ["/", "/t/acme/data/profiles", "/healthz", "/login"] {
                let get = try await client.execute(uri: path, method: .get) { $0 }
                let head = try await client.execute(uri: path, method: .head) { $0 }
                #expect(head.status == get.status, "HEAD \(path) signed out")
                #expect(head.headers[.location] == get.headers[.location])
                #expect(head.body.readableBytes == 0)
            }
        }
    }
}
