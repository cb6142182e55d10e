import Foundation

/// A run's invalid or rejected rows as CSV, for the run page's downloads and `outbound runs show --csv`.
public enum RunProblemCSV {
    public static let header = "profile_id,email,reason\r\n"

    public static func line(_ row: RunProblemRow) -> String {
        [row.profileId ?? "", row.email, row.reason].map(cell).joined(separator: ",") + "\r\n"
    }

    /// Quoted when needed, and a leading = + - @ tab or CR neutralised with a quote mark, so a spreadsheet never
    /// runs a cell as a formula (emails and reasons come from profile data and from ActiveCampaign).
    public static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { text = "'" + text }
        if text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
