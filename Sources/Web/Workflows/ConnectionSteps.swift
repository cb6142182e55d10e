import ActiveCampaign
import Foundation
import OutboundCore
import Secrets
import Store

/// What is wrong with a connection form, per field.
struct ConnectionProblems: Sendable {
    var name: String?, key: String?, host: String?, consent: String?, exportUser: String?, form: String?
    var isEmpty: Bool { [name, key, host, consent, exportUser, form].allSatisfy { $0 == nil } }
}

/// The connection steps without HTTP: host and key checks, Connect (the key against ActiveCampaign), Verify
/// again, and the mapping of each failure to the field a person can fix. The controller parses, asks the policy,
/// calls one step and renders.
struct ConnectionSteps: Sendable {
    let database: AppDatabase
    let vault: Vault
    let gateway: ActiveCampaignGateway

    /// A typed key that cannot be an ActiveCampaign key is refused before anything is sent.
    static func keyShapeProblem(_ key: String) -> String? {
        guard key.count <= 200, !key.contains(where: { $0.isWhitespace || $0.isNewline }),
            key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 33 })
        else {
            return "This is not an API key: it has spaces or characters an ActiveCampaign key never has."
        }
        return nil
    }

    /// The host Outbound would use for `input`, or nil when the policy refuses it.
    func normalisedHost(_ input: String) -> String? {
        try? gateway.policy.normalise(input).destination.description
    }

    /// The name (valid, not taken in the workspace) and, for a new connection, the consent.
    func nameAndConsentProblems(
        name: String,
        consent: Bool,
        tenantId: Int64,
        except id: Int64?,
        consentNeeded: Bool = true
    ) async throws -> ConnectionProblems {
        var problems = ConnectionProblems()
        if let problem = Validate.name(name, noun: "display name") {
            problems.name = problem
        } else if try await database.connectionNameTaken(tenantId: tenantId, name: name, except: id) {
            problems.name = "Another connection in this workspace is already called \(name)."
        }
        if consentNeeded, !consent { problems.consent = "Agree to the data privacy and compliance terms to save." }
        return problems
    }

    /// Connect: checks the host rules, then the key against ActiveCampaign (`users/me`, then one list read, so a
    /// key without permission is caught now rather than at the first export).
    func connect(apiHost: String, typedKey: String?, draft: ConnectionDraft?) async -> Result<VerifiedKey, ProblemsError> {
        var problems = ConnectionProblems()
        let destination: HostPolicy.Destination
        do { destination = try gateway.policy.normalise(apiHost).destination } catch {
            problems.host = error.description
            return .failure(ProblemsError(problems))
        }
        var key = (typedKey ?? "").trimmingCharacters(in: .whitespaces)
        if key.isEmpty, let draft, draft.apiHost == destination.description, let sealed = draft.apiKeySealed,
            let context = draft.apiKeyContext, let opened = try? vault.open(sealed, context: context)
        {
            key = opened.value
        }
        if key.isEmpty {
            problems.key = "Enter the API key from Settings > Developer in ActiveCampaign."
            return .failure(ProblemsError(problems))
        }
        if let problem = Self.keyShapeProblem(key) {
            problems.key = problem
            return .failure(ProblemsError(problems))
        }
        do {
            let user = try await gateway.withClient(destination, apiKey: Redacted(key)) { client throws(ActiveCampaignError) in
                let user = try await client.me()
                try await client.checkListAccess()
                return user
            }
            let name = user.email.isEmpty ? user.username : "\(user.username) (\(user.email))"
            return .success(VerifiedKey(apiHost: destination.description, apiKey: Redacted(key), accountName: name))
        } catch {
            switch error {
            case .host(let refusal): problems.host = refusal.description
            case .api(.invalidCredentials), .api(.noPermission): problems.key = error.description
            case .api: problems.host = error.description
            }
            return .failure(ProblemsError(problems))
        }
    }

    func verifyStored(_ connection: Connection) async -> Result<String, VerificationFailure> {
        guard let sealed = connection.apiKeySealed, let context = connection.apiKeyContext else {
            return .failure(VerificationFailure(message: "No API key is stored; enter it and press Connect."))
        }
        guard let key = try? vault.open(sealed, context: context) else {
            return .failure(VerificationFailure(message: "The stored API key cannot be read with this key ring; enter it again."))
        }
        do {
            let destination = try gateway.policy.normalise(connection.apiHost).destination
            let user = try await gateway.withClient(destination, apiKey: key) { client throws(ActiveCampaignError) in
                try await client.me()
            }
            return .success(user.email.isEmpty ? user.username : "\(user.username) (\(user.email))")
        } catch let refusal as HostPolicy.Refusal {
            return .failure(VerificationFailure(message: refusal.description))
        } catch let failure as ActiveCampaignGateway.Failure {
            return .failure(VerificationFailure(message: failure.description))
        } catch {
            return .failure(VerificationFailure(message: "the check could not run"))
        }
    }

    func hostNote(_ input: String) -> String? {
        guard let (destination, changed) = try? gateway.policy.normalise(input), changed else { return nil }
        return "Outbound uses the hostname \(destination.description) (the address part of what was pasted)."
    }
}

struct ProblemsError: Error {
    let problems: ConnectionProblems
    init(_ problems: ConnectionProblems) { self.problems = problems }
}
struct VerificationFailure: Error { let message: String }

extension Result where Failure == VerificationFailure {
    var failureMessage: String? { if case .failure(let failure) = self { failure.message } else { nil } }
}
