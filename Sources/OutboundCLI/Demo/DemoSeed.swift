import Foundation
import OutboundCore
import ProfileImport
import Secrets
import Store
import Web

/// What a demo's first start creates: a workspace with three people (one per role), generated profiles, three
/// segments, a connection to the in-process sandbox shared with contributors, two exports and a daily system
/// refresh. Each step goes through the same store calls as the CLI and the pages, and is recorded in Activity.
struct DemoSeed {
    static let slug = "demo"
    static let actor = Actor(userId: nil, email: "demo setup", clientAddress: "local")

    let database: AppDatabase
    let vault: Vault
    /// The sandbox's address as a connection holds it (`127.0.0.1:8089`) and its account's key.
    let sandboxHost: String
    let sandboxKey: String
    let profileCount: Int
    let workFolder: String

    func run(say: (String) -> Void) async throws -> [DemoAccount] {
        let tenant = try await database.createTenant(slug: Self.slug, name: "Demo Shop", actor: Self.actor)
        let tenantId = tenant.id!
        let accounts = try await addPeople(tenantId)
        guard let admin = try await database.user(email: accounts[0].email) else { throw CLIError("The demo's administrator is missing.") }

        let started = ContinuousClock.now
        let file = (workFolder as NSString).appendingPathComponent("demo-profiles.csv")
        let generated = try DemoProfiles(count: profileCount).write(to: file)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let generatedIn = ContinuousClock.now - started
        let job = try await ImportService.runOne(
            database: database,
            ImportService.Request(
                tenantId: tenantId,
                file: file,
                fileName: "demo-profiles.csv",
                options: ImportOptions(idColumn: "profile_id", declaredTypes: [:], replaceAll: false),
                userId: nil,
                actor: Self.actor,
                ownsFile: false
            )
        )
        guard job.status != .failed else { throw CLIError("The demo's profiles could not be imported: \(job.message ?? "")") }
        say(
            "Generated \(profileCount.formatted()) profiles (\(generated.invalid) with an invalid email, \(generated.duplicates) sharing one) in "
                + "\(Self.seconds(generatedIn)) and imported them in \(Self.seconds(ContinuousClock.now - started - generatedIn))."
        )

        let segments = try await addSegments(tenantId)
        let connection = try await database.createConnection(
            Connection(
                tenantId: tenantId,
                name: "ActiveCampaign (sandbox)",
                usableBy: .contributors,
                apiHost: sandboxHost,
                accountName: "demo",
                exportUserId: admin.id!,
                consentUserId: admin.id!,
                consentAt: database.clock.now,
                verifiedAt: database.clock.now,
                now: database.clock.now
            ),
            apiKey: Redacted(sandboxKey),
            vault: vault,
            actor: Self.actor
        )
        try await addExports(tenantId, connectionId: connection.id!, segments: segments)
        _ = try await database.saveSystemRefresh(
            tenantId: tenantId,
            schedule: RefreshSchedule(frequency: .daily, weekdays: [], times: [RefreshSchedule.LocalTime(hour: 6, minute: 0)!]),
            timeZone: TimeZone(identifier: "UTC")!,
            actor: Self.actor,
            now: database.clock.now
        )
        return accounts
    }

    private func addPeople(_ tenantId: Int64) async throws -> [DemoAccount] {
        let passwords = PasswordService(parameters: .interactive, threads: 1, queueLimit: 3)
        var accounts: [DemoAccount] = []
        for role in [Role.admin, .contributor, .viewer] {
            let account = DemoAccount(
                email: "\(role.rawValue)@demo.example",
                password: FirstStart.makeOneTimePassword(),
                role: role.rawValue
            )
            _ = try await database.addMember(
                tenantId: tenantId,
                email: account.email,
                role: role,
                newPasswordHash: try await passwords.hash(account.password),
                mustChangePassword: false,
                actor: Self.actor
            )
            accounts.append(account)
        }
        return accounts
    }

    /// Segments: everyone in Germany, newsletter subscribers (about half: the large export), and the few
    /// customers who spent over 2,000 (the small one).
    private func addSegments(_ tenantId: Int64) async throws -> [String: Int64] {
        let definitions: [(String, String, RuleCondition)] = [
            ("Germany", "Profiles whose country is DE.", RuleCondition(attribute: "country", op: .equals, value: "DE")),
            (
                "Newsletter subscribers", "Profiles who agreed to the newsletter.",
                RuleCondition(attribute: "newsletter", op: .equals, value: "true")
            ),
            ("VIP customers", "Lifetime value over 2,000.", RuleCondition(attribute: "lifetime_value", op: .greaterThan, value: "2000")),
        ]
        var ids: [String: Int64] = [:]
        for (name, description, condition) in definitions {
            let segment = try await database.saveSegment(
                tenantId: tenantId,
                id: nil,
                name: name,
                description: description,
                rules: SegmentRules(combinator: .all, groups: [RuleGroup(combinator: .all, conditions: [condition])]),
                actor: Self.actor,
                now: database.clock.now
            )
            _ = try database.refreshSegment(tenantId: tenantId, id: segment.id!, now: database.clock.now)
            ids[name] = segment.id!
        }
        return ids
    }

    private func addExports(_ tenantId: Int64, connectionId: Int64, segments: [String: Int64]) async throws {
        let attributes = try await database.attributes(tenantId: tenantId)
        func attribute(_ name: String) -> Int64? { attributes.first { $0.name == name }?.id }
        for (name, list, segment) in [("VIP customers", "3", "VIP customers"), ("Newsletter", "2", "Newsletter subscribers")] {
            let settings = ExportSettings(
                name: name,
                connectionId: connectionId,
                listId: list,
                segmentIds: [segments[segment]!],
                emailAttributeId: attribute("email")!,
                firstNameAttributeId: attribute("first_name"),
                lastNameAttributeId: attribute("last_name"),
                phoneAttributeId: attribute("phone"),
                schedule: .system,
                runAutomations: false,
                mirror: false,
                mirrorGuardPercent: 20
            )
            _ = try await database.createExport(tenantId: tenantId, settings: settings, actor: Self.actor, now: database.clock.now)
        }
    }

    static func seconds(_ duration: Duration) -> String { String(format: "%.1f s", duration / .seconds(1)) }
}

/// A demo person and the password printed at every start.
struct DemoAccount: Codable {
    var email: String
    var password: String
    var role: String
}
