/// Text from a third party (an ActiveCampaign error body can be a megabyte of HTML) made fit to store and show:
/// one line, whitespace and control characters collapsed to single spaces, at most `limit` characters.
public enum BoundedText {
    public static let storedLimit = 500

    public static func summary(_ text: String, limit: Int = storedLimit) -> String {
        var line = ""
        var pendingSpace = false
        var count = 0
        for character in text {
            if character.isWhitespace || character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                pendingSpace = !line.isEmpty
                continue
            }
            if pendingSpace {
                line.append(" ")
                count += 1
                pendingSpace = false
            }
            guard count < limit - 1 else { return line + "…" }
            line.append(character)
            count += 1
        }
        return line
    }
}
