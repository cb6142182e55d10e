import Hummingbird
import Store
import Testing

@testable import Web

/// The roles table of DESIGN.md, row by row: role × action × how the connection is shared.
@Suite struct PolicyTests {
    typealias Row = (role: Role, action: Policy.Action, allowed: Bool)

    static let table: [Row] = [
        (.admin, .administer, true), (.contributor, .administer, false), (.viewer, .administer, false),
        (.admin, .viewData, true), (.contributor, .viewData, true), (.viewer, .viewData, true),
        (.admin, .changeData, true), (.contributor, .changeData, true), (.viewer, .changeData, false),
        // Using a connection: admins always; contributors only when the connection is shared with them.
        (.admin, .useConnection(.admins), true), (.admin, .useConnection(.contributors), true),
        (.contributor, .useConnection(.admins), false), (.contributor, .useConnection(.contributors), true),
        (.viewer, .useConnection(.admins), false), (.viewer, .useConnection(.contributors), false),
        // Exports: edit, run and remove follow the connection; an export without one is anyone's who changes data.
        (.admin, .editExport(connection: .admins), true), (.admin, .editExport(connection: .contributors), true),
        (.admin, .editExport(connection: nil), true),
        (.contributor, .editExport(connection: .admins), false), (.contributor, .editExport(connection: .contributors), true),
        (.contributor, .editExport(connection: nil), true),
        (.viewer, .editExport(connection: .admins), false), (.viewer, .editExport(connection: .contributors), false),
        (.viewer, .editExport(connection: nil), false),
        (.admin, .runExport(connection: .admins), true), (.contributor, .runExport(connection: .admins), false),
        (.contributor, .runExport(connection: .contributors), true), (.viewer, .runExport(connection: .contributors), false),
        (.admin, .removeExport(connection: .admins), true), (.contributor, .removeExport(connection: .admins), false),
        (.contributor, .removeExport(connection: .contributors), true), (.viewer, .removeExport(connection: nil), false),
    ]

    @Test(arguments: table.indices)
    func roleActionSharing(_ index: Int) {
        let row = Self.table[index]
        #expect(Policy(role: row.role).can(row.action) == row.allowed, "\(row.role) \(row.action)")
    }

    @Test func requireAnswers403WithTheMessage() throws {
        #expect(throws: Never.self) { try Policy(role: .admin).require(.administer, "no") }
        do {
            try Policy(role: .viewer).require(.changeData, "Viewers cannot import profiles.")
            Issue.record("a viewer may not change data")
        } catch let error as HTTPError {
            #expect(error.status == .forbidden)
            #expect(error.body == "Viewers cannot import profiles.")
        }
    }
}
