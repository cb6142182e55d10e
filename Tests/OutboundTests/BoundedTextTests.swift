import Foundation
import OutboundCore
import Secrets
import Store
import Testing

@testable import ActiveCampaign

/// Third-party text (ActiveCampaign error bodies, up to 1 MiB) is stored and logged as one line of at most 500
/// characters.
@Suite struct BoundedTextTests {
    static let huge = "<html>\n<body>\r\n" + String(repeating: "Service\tunavailable\n\n", count: 50_000) + "</body></html>"

    @Test func summariesAreOneBoundedLine() {
        let summary = BoundedText.summary(Self.huge)
        #expect(summary.count == 500)
        #expect(summary.hasSuffix("…"))
        #expect(summary.hasPrefix("<html> <body> Service unavailable Service"))
        #expect(!summary.contains { $0.isNewline || $0 == "\t" })
        #expect(BoundedText.summary("  short\nmessage\u{0} ") == "short message")
    }

    @Test func errorBodiesReadFromActiveCampaignAreBounded() {
        let body = try! JSONSerialization.data(withJSONObject: ["message": Self.huge, "failureReasons": [Self.huge]])
        let json = try! JSONSerialization.jsonObject(with: body) as? [String: Any]
        guard
            case .notFound(let message) = ActiveCampaignClient.classify(
                status: 404,
                retryAfter: nil,
                json: json,
                data: body,
                call: .standard
            )
        else {
            Issue.record("expected notFound")
            return
        }
        #expect(message.count <= 300 && !message.contains("\n"))
        guard
            case .payloadRejected(let rejections) = ActiveCampaignClient.classify(
                status: 400,
                retryAfter: nil,
                json: json,
                data: body,
                call: .bulkImport
            )
        else {
            Issue.record("expected payloadRejected")
            return
        }
        #expect(rejections.allSatisfy { $0.reason.count <= 300 && !$0.reason.contains("\n") })
    }

    @Test func aFailedVerificationStoresAndLogsOneBoundedLine() async throws {
        let fixture = try await SealedFixture.make(count: 1)
        let connection = fixture.connections[0]
        try await fixture.database.recordVerification(
            tenantId: connection.tenantId,
            id: connection.id!,
            accountName: nil,
            error: Self.huge,
            actor: .commandLine,
            now: .now
        )
        let stored = try await fixture.stored(connection)
        let lastError = try #require(stored.lastError)
        #expect(lastError.count <= 500 && !lastError.contains("\n"))
        let detail = try #require(try await fixture.database.activity(tenantId: connection.tenantId, page: 1).events.first?.detail)
        #expect(detail.count <= 600 && !detail.contains("\n"))
    }
}
