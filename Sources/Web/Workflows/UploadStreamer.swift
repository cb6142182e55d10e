import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import Secrets

/// Streams a multipart/form-data upload to a file owned by this user only, within a size limit, collecting the
/// small text fields beside it. Runs without a request: a test feeds it bytes.
struct UploadStreamer {
    /// What arrived: the stored file and the form's other fields.
    struct Received {
        var path: String
        var fileName: String?
        var fields: [String: String]
    }

    /// State of one streamed multipart upload.
    private final class Upload {
        var partName: String?
        var fileName: String?
        var fields: [String: String] = [:]
        var fieldText = ""
        var fileBytes = 0
        var tooLarge = false
        var sawFile = false
        /// Parts seen so far: the form sends a handful, so many more is not our form and is refused early.
        var parts = 0
        var tooManyParts = false
        static let maxParts = 16
        /// The form's first part must be `_csrf` with the session's token; nothing else is read before it matches.
        var csrfText = ""
        var csrfChecked = false
        var forged = false
        /// Only the form's own fields are kept (bounded in number and size); other parts are read and dropped.
        static let keptFields: Set<String> = ["idColumn", "replaceAll", "confirmRemoval"]
        let handle: FileHandle
        let path: String

        init(path: String) throws {
            self.path = path
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: path)
            else {
                throw HTTPError(.internalServerError, message: "The upload could not be stored.")
            }
            self.handle = handle
        }
    }

    let limit: Int
    /// The session's CSRF token, which the form sends as its first part (never in the URL: logs keep URLs).
    let csrfToken: String

    /// Streams the upload into `path` (a new file in the owner-only uploads folder).
    func receive<Body: AsyncSequence>(contentType: String, body: Body, into path: String) async throws -> Received
    where Body.Element == ByteBuffer {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundaryRange = contentType.range(of: "boundary=")
        else {
            throw HTTPError(.badRequest, message: "Choose a CSV file to import.")
        }
        let boundary = contentType[boundaryRange.upperBound...].split(separator: ";")[0].trimmingCharacters(
            in: CharacterSet(charactersIn: "\" ")
        )
        let upload = try Upload(path: path)
        let expectedToken = csrfToken
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            guard name.lowercased() == "content-disposition" else { return }
            upload.partName = Self.dispositionParameter("name", in: value)
            if upload.partName == "file" { upload.fileName = Self.dispositionParameter("filename", in: value) }
        }
        parser.onBody = { buffer in
            if !upload.csrfChecked {
                if upload.partName == "_csrf", upload.csrfText.utf8.count < 256 {
                    upload.csrfText += String(buffer: buffer)
                } else {
                    upload.forged = true
                }
                return
            }
            if upload.partName == "file" {
                upload.sawFile = true
                upload.fileBytes += buffer.readableBytes
                if upload.fileBytes > limit {
                    upload.tooLarge = true
                    return
                }
                upload.handle.write(Data(buffer.readableBytesView))
            } else if let name = upload.partName, Upload.keptFields.contains(name), upload.fieldText.utf8.count < 1_000 {
                upload.fieldText += String(buffer: buffer)
            }
        }
        parser.onPartComplete = {
            if !upload.csrfChecked {
                if upload.partName == "_csrf", ConstantTime.equals(Array(upload.csrfText.utf8), Array(expectedToken.utf8)) {
                    upload.csrfChecked = true
                } else {
                    upload.forged = true
                }
            }
            upload.parts += 1
            if upload.parts > Upload.maxParts { upload.tooManyParts = true }
            if let name = upload.partName, Upload.keptFields.contains(name) { upload.fields[name] = upload.fieldText }
            upload.partName = nil
            upload.fieldText = ""
        }
        do {
            for try await chunk in body {
                try parser.execute(chunk)
                if upload.tooLarge || upload.tooManyParts || upload.forged { break }
            }
        } catch {
            try? upload.handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "The upload could not be read. Choose the file again.")
        }
        try? upload.handle.close()
        guard upload.csrfChecked, !upload.forged else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.forbidden, message: "This form has expired. Reload the page and try again.")
        }
        guard !upload.tooManyParts else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "The upload has more parts than the import form sends. Choose the file again.")
        }
        guard !upload.tooLarge else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(
                .contentTooLarge,
                message:
                    "The file is larger than the \(Format.bytes(limit)) Outbound accepts."
            )
        }
        guard upload.sawFile || upload.fileName?.isEmpty == false else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "Choose a CSV file to import.")
        }
        guard upload.fileBytes > 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(
                .badRequest,
                message:
                    "The file \(upload.fileName ?? "") is empty (0 bytes): it needs a header row naming the attributes, then one row per profile."
            )
        }
        return Received(path: path, fileName: upload.fileName, fields: upload.fields)
    }

    static func dispositionParameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix(name + "=") else { continue }
            return String(pair.dropFirst(name.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }
}
