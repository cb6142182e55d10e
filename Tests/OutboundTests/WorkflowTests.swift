import Foundation
import Hummingbird
import NIOCore
import OutboundCore
import Store
import Testing

@testable import Web

/// The upload streamer and the segment steps, driven without HTTP.
@Suite struct WorkflowTests {
    static let boundary = "XyZ"
    static let contentType = "multipart/form-data; boundary=XyZ"

    static let token = "session-csrf-token"

    /// A form body as the import form sends it: the CSRF token first, then the fields, then the file.
    static func body(file: String, fileName: String = "people.csv", fields: [(String, String)] = [], csrf: String? = token) -> String {
        var parts = (csrf.map { [("_csrf", $0)] } ?? []).map {
            "--XyZ\r\nContent-Disposition: form-data; name=\"\($0.0)\"\r\n\r\n\($0.1)\r\n"
        }
        parts += fields.map { "--XyZ\r\nContent-Disposition: form-data; name=\"\($0.0)\"\r\n\r\n\($0.1)\r\n" }
        parts.append(
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\n"
                + "Content-Type: text/csv\r\n\r\n\(file)\r\n"
        )
        return parts.joined() + "--XyZ--\r\n"
    }

    /// The body in small chunks, as a socket delivers it.
    static func chunks(_ text: String, size: Int = 7) -> AsyncStream<ByteBuffer> {
        let bytes = Array(text.utf8)
        return AsyncStream { continuation in
            for start in stride(from: 0, to: bytes.count, by: size) {
                continuation.yield(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)]))
            }
            continuation.finish()
        }
    }

    @Test func anUploadIsStreamedToAnOwnerOnlyFileWithItsFields() async throws {
        let streamer = UploadStreamer(limit: 1_000, csrfToken: Self.token)
        let csv = "profile_id,city\n1,Berlin\n2,\"Paris\"\n"
        let received = try await streamer.receive(
            contentType: Self.contentType,
            body: Self.chunks(Self.body(file: csv, fields: [("idColumn", "profile_id"), ("replaceAll", "yes")])),
            into: try temporaryDirectory() + "/upload.csv"
        )
        #expect(received.fileName == "people.csv")
        #expect(received.fields == ["idColumn": "profile_id", "replaceAll": "yes"])
        #expect(try String(contentsOfFile: received.path, encoding: .utf8) == csv)
        let permissions = try FileManager.default.attributesOfItem(atPath: received.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func tooLargeEmptyOrNotMultipartIsRefusedAndLeavesNoFile() async throws {
        let directory = try temporaryDirectory() + "/"
        let streamer = UploadStreamer(limit: 10, csrfToken: Self.token)
        for (contentType, body, status) in [
            (Self.contentType, Self.body(file: String(repeating: "x", count: 11)), HTTPResponse.Status.contentTooLarge),
            (Self.contentType, Self.body(file: ""), .badRequest),
            (Self.contentType, Self.body(file: "a", csrf: nil), .forbidden),
            (Self.contentType, Self.body(file: "a", csrf: "another-token"), .forbidden),
            ("application/x-www-form-urlencoded", "a=b", .badRequest),
        ] {
            await #expect(throws: HTTPError.self) {
                do {
                    _ = try await streamer.receive(contentType: contentType, body: Self.chunks(body), into: directory + "upload.csv")
                } catch let error as HTTPError {
                    #expect(error.status == status)
                    throw error
                }
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func segmentNamesAreValidAndUniqueInTheirWorkspace() async throws {
        let world = try await TestWorld.make()
        let steps = SegmentSteps(database: world.database, pool: BlockingPool(name: "test", threads: 1, maxPending: 1))
        let acme = world.acme.id!
        #expect(try await steps.nameProblem("", tenantId: acme, except: nil) == "Enter a name.")
        #expect(
            try await steps.nameProblem(String(repeating: "n", count: 101), tenantId: acme, except: nil)
                == "A name has at most 100 characters."
        )
        let saved = try await world.database.saveSegment(
            tenantId: acme,
            id: nil,
            name: "Berlin",
            description: "",
            rules: SegmentRules(combinator: .all, groups: []),
            actor: .commandLine,
            now: world.clock.now
        )
        #expect(try await steps.nameProblem("Berlin", tenantId: acme, except: nil) == "Another segment is already called Berlin.")
        #expect(try await steps.nameProblem("Berlin", tenantId: acme, except: saved.id) == nil)
        #expect(try await steps.nameProblem("Berlin", tenantId: world.globex.id!, except: nil) == nil)
    }
}
