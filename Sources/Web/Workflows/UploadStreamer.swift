import Foundation
import Hummingbird
import MultipartKit
import NIOCore

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
        let handle: FileHandle
        let path: String

        init(path: String) throws {
            self.path = path
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw HTTPError(.internalServerError, message: "The upload could not be stored.")
            }
            self.handle = handle
        }
    }

    let limit: Int
    var directory = NSTemporaryDirectory()

    func receive<Body: AsyncSequence>(contentType: String, body: Body) async throws -> Received where Body.Element == ByteBuffer {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
              let boundaryRange = contentType.range(of: "boundary=") else {
            throw HTTPError(.badRequest, message: "Choose a CSV file to import.")
        }
        let boundary = contentType[boundaryRange.upperBound...].split(separator: ";")[0].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let path = directory + "outbound-import-\(UUID().uuidString).csv"
        let upload = try Upload(path: path)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in
            guard name.lowercased() == "content-disposition" else { return }
            upload.partName = Self.dispositionParameter("name", in: value)
            if upload.partName == "file" { upload.fileName = Self.dispositionParameter("filename", in: value) }
        }
        parser.onBody = { buffer in
            if upload.partName == "file" {
                upload.sawFile = true
                upload.fileBytes += buffer.readableBytes
                if upload.fileBytes > limit { upload.tooLarge = true; return }
                upload.handle.write(Data(buffer.readableBytesView))
            } else if upload.fieldText.utf8.count < 1_000 {
                upload.fieldText += String(buffer: buffer)
            }
        }
        parser.onPartComplete = {
            if let name = upload.partName, name != "file" { upload.fields[name] = upload.fieldText }
            upload.partName = nil
            upload.fieldText = ""
        }
        do {
            for try await chunk in body {
                try parser.execute(chunk)
                if upload.tooLarge { break }
            }
        } catch {
            try? upload.handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "The upload could not be read. Choose the file again.")
        }
        try? upload.handle.close()
        guard !upload.tooLarge else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.contentTooLarge, message: "The file is larger than the \(ByteCountFormatter.string(fromByteCount: Int64(limit), countStyle: .file)) Outbound accepts.")
        }
        guard upload.sawFile, upload.fileBytes > 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw HTTPError(.badRequest, message: "Choose a CSV file to import; the one sent was empty.")
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
