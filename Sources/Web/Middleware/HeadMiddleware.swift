import Hummingbird

/// Answers `HEAD` as the same `GET` would, without the body, so uptime monitors and link checkers see the real
/// status and headers. Outermost, so error pages and static files are covered too; routes stay `GET` only.
struct HeadMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .head else { return try await next(request, context) }
        var head = request.head
        head.method = .get
        var response = try await next(Request(head: head, body: request.body), context)
        let length = response.body.contentLength
        response.body = ResponseBody()
        // After the body, which resets the length: a HEAD answer states the length the GET would send.
        response.headers[.contentLength] = length.map(String.init)
        return response
    }
}
