import ActiveCampaign
import Foundation
import Secrets
import Store
import Testing

@testable import Web

/// The connection steps driven directly, without HTTP: each failure lands on the field a person can fix.
@Suite struct ConnectionStepsTests {
    func steps(_ world: TestWorld) async throws -> ConnectionSteps {
        let services = try await AppServices.make(
            configuration: world.configuration,
            database: world.database,
            vault: world.vault,
            resolver: world.resolver
        )
        return ConnectionSteps(database: world.database, vault: world.vault, gateway: services.gateway)
    }

    func problems(_ result: Result<VerifiedKey, ProblemsError>) -> ConnectionProblems? {
        if case .failure(let failure) = result { failure.problems } else { nil }
    }

    @Test func hostAndKeyShapeAreCheckedBeforeAnythingIsSent() async throws {
        let steps = try await steps(try await TestWorld.make())
        let ip = problems(await steps.connect(apiHost: "10.0.0.1", typedKey: "k", draft: nil))
        #expect(ip?.host != nil)
        #expect(ip?.key == nil)
        #expect(
            problems(await steps.connect(apiHost: "acme.api-us1.com", typedKey: " ", draft: nil))?.key
                == "Enter the API key from Settings > Developer in ActiveCampaign."
        )
        #expect(
            problems(await steps.connect(apiHost: "acme.api-us1.com", typedKey: "has space", draft: nil))?.key?
                .hasPrefix("This is not an API key") == true
        )
        #expect(ConnectionSteps.keyShapeProblem("abc123-DEF") == nil)
        #expect(ConnectionSteps.keyShapeProblem(String(repeating: "k", count: 201)) != nil)
        #expect(steps.normalisedHost("https://acme.api-us1.com/api/3/") == "acme.api-us1.com")
        #expect(steps.hostNote("https://acme.api-us1.com/api/3/")?.contains("acme.api-us1.com") == true)
        #expect(steps.hostNote("acme.api-us1.com") == nil)
    }

    @Test func connectAndVerifyAgainstActiveCampaign() async throws {
        try await SandboxHarness.with { sandbox in
            let world = try await TestWorld.make { $0.allowedDestinationHosts = ["127.0.0.1:\(sandbox.port)"] }
            let steps = try await steps(world)
            let host = "127.0.0.1:\(sandbox.port)"
            let wrong = problems(await steps.connect(apiHost: host, typedKey: "not-the-key", draft: nil))
            #expect(wrong?.key?.contains("ActiveCampaign did not accept this API key") == true)
            #expect(wrong?.host == nil)
            let noLists = problems(await steps.connect(apiHost: host, typedKey: "test-key-nolists", draft: nil))
            #expect(noLists?.key?.contains("You do not have permission to view lists.") == true)
            let verified = try await steps.connect(apiHost: host, typedKey: "test-key-admin", draft: nil).get()
            #expect(verified.accountName == "acme (owner@acme.example)")
            #expect(verified.apiHost == host)

            let stored = try await world.connect(name: "Main", key: "test-key-admin", host: host)
            #expect(try await steps.verifyStored(stored).get() == "acme (owner@acme.example)")
            let revoked = try await world.connect(name: "Old", key: "revoked-key", host: host)
            #expect(await steps.verifyStored(revoked).failureMessage?.contains("did not accept") == true)
        }
    }

    @Test func nameAndConsentRules() async throws {
        let world = try await TestWorld.make()
        let steps = try await steps(world)
        let tenantId = world.acme.id!
        let empty = try await steps.nameAndConsentProblems(name: "", consent: false, tenantId: tenantId, except: nil)
        #expect(empty.name == "Enter a display name.")
        #expect(empty.consent == "Agree to the data privacy and compliance terms to save.")
        let existing = try await world.connect(name: "Main", key: "k", host: "acme.api-us1.com")
        #expect(
            try await steps.nameAndConsentProblems(name: "Main", consent: true, tenantId: tenantId, except: nil).name
                == "Another connection in this workspace is already called Main."
        )
        #expect(
            try await steps.nameAndConsentProblems(
                name: "Main",
                consent: false,
                tenantId: tenantId,
                except: existing.id,
                consentNeeded: false
            ).isEmpty
        )
        #expect(try await steps.nameAndConsentProblems(name: "Main", consent: true, tenantId: world.globex.id!, except: nil).isEmpty)
    }
}
