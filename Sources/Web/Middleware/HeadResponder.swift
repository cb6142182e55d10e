import Hummingbird

/// Answers `HEAD` as the same `GET` would, without the body, so uptime monitors and link checkers see the real
/// status and headers. It wraps the router's whole responder: router middleware only runs for matched routes, and
/// routes stay `GET` only, so a middleware would never see a HEAD.
struct HeadResponder<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else { return try await inner.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
        let length = response.body.contentLength
        response.body = ResponseBody()
        // After the body, which resets the length: a HEAD answer states the length the GET would send.
        response.headers[.contentLength] = length.map(String.init)
        return response
    }
}
