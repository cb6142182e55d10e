import Hummingbird
import Secrets

/// Every state-changing request must carry the session's CSRF token, as the `_csrf` form field or the
/// `X-CSRF-Token` header; otherwise 403 and nothing runs. Sign-in has no session yet and checks its own
/// pre-session token (see `AuthController`). The body is collected here within the form size limit, so an
/// oversized form is a 413 before any handler sees it.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxFormBytes: Int
    static let exemptPaths: Set<String> = [SiteRoute.login.path]

    private struct TokenField: Decodable { var _csrf: String? }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, !Self.exemptPaths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        guard let expected = context.signedIn?.session.csrfToken else {
            throw HTTPError(.forbidden, message: "Your session has ended. Sign in again, then repeat what you were doing.")
        }
        // A file upload is streamed by its handler, never collected here. Only the upload route may take one, and
        // it checks the token in the body's first part before it reads anything else (ProfilesController.upload).
        if request.headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true {
            guard Self.isUploadPath(request.uri.path) else {
                throw HTTPError(.forbidden, message: "This form has expired. Reload the page and try again.")
            }
            return try await next(request, context)
        }
        var request = request
        let buffer = try await request.collectBody(upTo: maxFormBytes)
        let field = try? URLEncodedFormDecoder().decode(TokenField.self, from: String(buffer: buffer))
        let presented = request.headers[.xCSRFToken] ?? field?._csrf ?? ""
        guard ConstantTime.equals(Array(presented.utf8), Array(expected.utf8)) else {
            throw HTTPError(.forbidden, message: "This form has expired. Reload the page and try again.")
        }
        return try await next(request, context)
    }

    /// `/t/{tenant}/data/profiles/import`: the one route that reads a multipart body and checks its own token.
    static func isUploadPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0].isEmpty && parts[1] == "t" && !parts[2].isEmpty
            && parts[3] == "data" && parts[4] == "profiles" && parts[5] == "import"
    }
}
