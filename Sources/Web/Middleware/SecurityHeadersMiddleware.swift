import Hummingbird
import Logging

/// The outermost middleware. It gives every response — pages, redirects, static files and errors alike — the
/// security headers, and turns every thrown error into a page: the router's errors reach this point as thrown
/// errors, so without this a 404 or 413 would leave without the headers. Unexpected errors become a plain 500
/// page; their details go to the log (never a secret: those are `Redacted`), not to the person.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let views: Views
    /// Only when the public URL is https: then browsers must never reach this host over plain http again.
    var strictTransportSecurity = false

    static let contentSecurityPolicy =
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorPage(for: error, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        if strictTransportSecurity { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        // Pages carry personal data and CSRF tokens: never cache them. Only static assets may be cached.
        if response.headers[.cacheControl] == nil || !Self.isStaticAsset(request.uri.path) {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }

    static func isStaticAsset(_ path: String) -> Bool {
        path.hasSuffix(".css") || path.hasSuffix(".js") || path.hasSuffix(".svg") || path.hasSuffix(".ico")
    }

    private func errorPage(for error: any Error, context: Context) -> Response {
        let status: HTTPResponse.Status
        var message: String?
        var headers: HTTPFields = [:]
        switch error {
        case let error as HTTPError:
            status = error.status
            message = error.body
            headers = error.headers
        case let error as any HTTPResponseError:
            status = error.status
        default:
            status = .internalServerError
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
        let page = ErrorPage(status: status, message: message)
        let html = (try? views.render("error", page)) ?? "<!DOCTYPE html><title>\(status.code)</title><p>\(status.code)</p>"
        var response = Response.html(html, status: status)
        // Keep what the error itself asks for, such as Retry-After or Location; never a body header.
        for field in headers where field.name != .contentType && field.name != .contentLength {
            response.headers.append(field)
        }
        return response
    }
}
