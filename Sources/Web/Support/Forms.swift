import Foundation
import Secrets
import Hummingbird

/// Decodes an HTML form body. The CSRF middleware has already collected it within the size limit; a body that is
/// not valid form encoding is a 400 with a plain message, never a 500.
enum Form {
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let text = String(buffer: buffer)
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: text)
        } catch {
            throw HTTPError(.badRequest, message: "The form could not be read. Reload the page and try again.")
        }
    }
}

/// Input checks shared by every form. Each returns a message for the field, or nil when the value is fine.
enum Validate {
    static func email(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespaces)
        if email.isEmpty { return "Enter an email address." }
        if email.count > 254 { return "An email address has at most 254 characters." }
        if email.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) {
            return "An email address cannot contain spaces or control characters."
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty || !parts[1].contains(".") && parts[1] != "localhost" {
            return "Enter an email address like name@example.com."
        }
        return nil
    }

    static let minPasswordLength = 12
    static let maxPasswordLength = 4096

    static func newPassword(_ password: String) -> String? {
        if password.count < minPasswordLength { return "Use at least \(minPasswordLength) characters." }
        if password.utf8.count > maxPasswordLength { return "Use at most \(maxPasswordLength) bytes." }
        if password.contains("\0") { return "A password cannot contain a NUL character." }
        return nil
    }
}

/// A generated one-time password: readable, typeable, 120 bits of entropy.
enum OneTimePassword {
    static func make() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let bytes = Secrets.SecureRandom.bytes(24)
        // 56 symbols; rejection of values ≥ 224 keeps every symbol equally likely.
        var symbols = bytes.filter { $0 < 224 }.map { alphabet[Int($0) % alphabet.count] }
        while symbols.count < 21 {
            symbols += Secrets.SecureRandom.bytes(8).filter { $0 < 224 }.map { alphabet[Int($0) % alphabet.count] }
        }
        let chars = symbols.prefix(21)
        return stride(from: 0, to: 21, by: 7).map { String(chars.dropFirst($0).prefix(7)) }.joined(separator: "-")
    }
}
