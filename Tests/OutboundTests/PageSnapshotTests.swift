import SnapshotTesting
import Testing

@testable import Web

extension Snapshotting where Value == String, Format == String {
    /// Rendered HTML, compared line by line.
    static var html: Self { Snapshotting(pathExtension: "html", diffing: .lines) }
}

/// Every page's template rendered with its mock model: a template or model change shows up as a snapshot diff
/// in review. Recorded once (`SNAPSHOT_TESTING_RECORD=all` re-records); a difference fails.
@Suite struct PageSnapshotTests {
    static var pages: [(name: String, template: String, model: Any)] {
        [
            ("login", "login", AuthController.LoginPage.mock),
            ("home", "home", HomeController.HomePage.mock),
            ("account", "account", AccountController.AccountPage.mock),
            ("error", "error", ErrorPage.mock),
            ("members", "members", MembersController.MembersPage.mock),
            ("members-remove", "members/remove", MembersController.RemovePage.mock),
            ("members-reset", "members/reset", MembersController.ResetPage.mock),
            ("activity", "activity", ActivityController.ActivityPage.mock),
            ("empty-area", "empty-area", EmptyAreaController.EmptyAreaPage.mock),
            ("connections-list", "connections/list", ConnectionsController.ListPage.mock),
            ("connections-choose", "connections/choose", ConnectionsController.ChoosePage.mock),
            ("connections-form", "connections/form", ConnectionsController.FormPage.mock),
            ("connections-remove", "connections/remove", ConnectionsController.RemovePage.mock),
            ("profiles-index", "profiles/index", ProfilesController.ProfilesPage.mock),
            ("profiles-import", "profiles/import", ProfilesController.ImportPage.mock),
            ("profiles-delete", "profiles/delete", ProfilesController.DeletePage.mock),
            ("profiles-profile", "profiles/profile", ProfileController.ProfilePage.mock),
            ("profiles-delete-one", "profiles/delete-one", ProfileController.DeleteOnePage.mock),
            ("profiles-forget", "profiles/forget", ForgetPersonController.ForgetPage.mock),
            ("segments-list", "segments/list", SegmentsController.ListPage.mock),
            ("segments-editor", "segments/editor", SegmentsController.EditorPage.mock),
            ("segments-delete", "segments/delete", SegmentsController.DeletePage.mock),
            ("exports-list", "exports/list", ExportsController.ListPage.mock),
            ("exports-form", "exports/form", ExportEditorController.FormPage.mock),
            ("exports-preview", "exports/preview", ExportEditorController.PreviewPage.mock),
            ("exports-run", "exports/run", ExportRunsController.RunPage.mock),
            ("exports-remove", "exports/remove", ExportsController.RemovePage.mock),
            ("system", "system", SystemController.SystemPage.mock),
        ]
    }

    @Test func everyTemplateHasASnapshot() {
        #expect(Set(Self.pages.map(\.template)) == Set(Views.requiredTemplates).subtracting(["layout"]))
    }

    @Test(arguments: pages.indices)
    func page(_ index: Int) async throws {
        let page = Self.pages[index]
        let views = try await Views.load(directory: packageRoot + "/Templates")
        let html = try views.render(page.template, page.model)
        assertSnapshot(of: html, as: .html, named: page.name, testName: "page")
    }
}
