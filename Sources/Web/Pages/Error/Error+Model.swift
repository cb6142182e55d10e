import Hummingbird

/// The view model of the error page: a heading and message per status, never an internal detail.
struct ErrorPage {
    var chrome: Chrome
    var code: Int
    var heading: String
    var message: String

    init(status: HTTPResponse.Status, message: String?) {
        code = status.code
        switch status {
        case .notFound:
            heading = "Page not found"
            self.message = "There is nothing here, or you do not have access to it."
        case .forbidden:
            heading = "Not allowed"
            self.message = message ?? "Your role does not allow this. Ask an administrator of this workspace."
        case .contentTooLarge:
            heading = "Too large"
            self.message = message ?? "What you sent is larger than this form accepts."
        case .badRequest:
            heading = "Bad request"
            self.message = message ?? "The request could not be understood."
        case .tooManyRequests, .serviceUnavailable:
            heading = "Please try again"
            self.message = message ?? "The server is busy. Try again in a moment."
        case .methodNotAllowed:
            heading = "Not allowed"
            self.message = "This address does not accept that kind of request."
        case .internalServerError:
            heading = "Something went wrong"
            self.message = "The server could not finish this request. Nothing was changed by the failed step; try again."
        default:
            heading = status.reasonPhrase
            self.message = message ?? ""
        }
        chrome = .signedOut(title: heading)
    }
}
