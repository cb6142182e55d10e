import ActiveCampaign
import Foundation
import Logging
import Testing

@testable import Web

/// `--allow-destination-host` never means plain http by accident: https unless the host is loopback or the entry
/// says http://, and the server names every http host at start.
@Suite struct AllowedHostSchemeTests {
    @Test func httpsUnlessLoopbackOrExplicitlyHTTP() {
        let policy = HostPolicy(allowedHosts: [
            "crm.example.net:8443", "127.0.0.1:8089", "localhost:9", "http://legacy.example.org",
            "https://secure.example.org", "[::1]:7",
        ])
        #expect(policy.operatorScheme(.init(host: "crm.example.net", port: 8443)) == "https")
        #expect(policy.operatorScheme(.init(host: "127.0.0.1", port: 8089)) == "http")
        #expect(policy.operatorScheme(.init(host: "localhost", port: 9)) == "http")
        #expect(policy.operatorScheme(.init(host: "legacy.example.org", port: nil)) == "http")
        #expect(policy.operatorScheme(.init(host: "secure.example.org", port: nil)) == "https")
        #expect(policy.plainHTTPDestinations.contains("legacy.example.org"))
        #expect(policy.plainHTTPDestinations.contains("127.0.0.1:8089"))
        #expect(!policy.plainHTTPDestinations.contains { $0.hasPrefix("crm.") || $0.hasPrefix("secure.") })
    }

    @Test func eachPlainHTTPHostIsNamedInAWarningAtStart() async throws {
        let (world, records) = try await TestWorld.recordingLogs {
            $0.allowedDestinationHosts = ["127.0.0.1:8089", "http://legacy.example.org", "crm.example.net"]
        }
        _ = try await world.app()
        let warnings = records.lines.filter { $0.contains("over plain http") }
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("127.0.0.1:8089") } && warnings.contains { $0.contains("legacy.example.org") })
    }
}
