import Foundation
import Hummingbird
import Secrets

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
