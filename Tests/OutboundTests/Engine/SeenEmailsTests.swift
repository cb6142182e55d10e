import Testing

@testable import Store

/// The freeze's in-memory set of met emails decides duplicates and the mirror's removals: it must be exact.
@Suite struct SeenEmailsTests {
    @Test func eachEmailIsNewOnceAndKnownAfterwardsEvenPastTheExpectedCount() {
        let seen = SeenEmails(expected: 10)  // grows several times on the way to 5,000
        let emails = (0..<5_000).map { "person\($0)@example.com" }
        #expect(emails.allSatisfy { seen.insert($0) })
        #expect(emails.allSatisfy { !seen.insert($0) })
        #expect(emails.allSatisfy { seen.contains($0) })
        #expect(seen.count == 5_000)
        // Near misses are other emails.
        #expect(!seen.contains("person5000@example.com"))
        #expect(!seen.contains("person1@example.co"))
        #expect(!seen.contains("Person1@example.com"))
        #expect(!seen.contains(""))
        #expect(seen.insert("person1@example.co"))
    }
}
