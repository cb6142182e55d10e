import Foundation

/// Input rules shared by the web forms and the CLI, so both refuse the same values with the same words. Each
/// returns a message for the field, or nil when the value is fine.
public enum Validate {
    public static let minPasswordLength = 12
    public static let maxPasswordLength = 4096
    public static let maxEmailLength = 254
    public static let maxNameLength = 100

    public static func email(_ raw: String) -> String? {
        let email = raw.trimmingCharacters(in: .whitespaces)
        if email.isEmpty { return "Enter an email address." }
        if email.count > maxEmailLength { return "An email address has at most \(maxEmailLength) characters." }
        if email.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }) {
            return "An email address cannot contain spaces or control characters."
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty || !parts[1].contains(".") && parts[1] != "localhost" {
            return "Enter an email address like name@example.com."
        }
        return nil
    }

    public static func newPassword(_ password: String) -> String? {
        if password.count < minPasswordLength { return "Use at least \(minPasswordLength) characters." }
        if password.utf8.count > maxPasswordLength { return "Use at most \(maxPasswordLength) bytes." }
        if password.contains("\0") { return "A password cannot contain a NUL character." }
        return nil
    }

    /// A workspace's short name in addresses (`/t/{slug}`).
    public static func slug(_ slug: String) -> String? {
        guard slug.range(of: "^[a-z0-9][a-z0-9-]{0,39}$", options: .regularExpression) != nil else {
            return "Use 1 to 40 lower-case letters, digits or dashes, starting with a letter or digit."
        }
        return nil
    }

    /// A name people see (workspace, connection, segment), already trimmed. `noun` names it in the message
    /// ("display name" gives "Enter a display name.").
    public static func name(_ name: String, noun: String = "name") -> String? {
        if name.isEmpty { return "Enter a \(noun)." }
        if name.count > maxNameLength { return "A \(noun) has at most \(maxNameLength) characters." }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "A \(noun) cannot contain control characters."
        }
        return nil
    }
}
