import Hummingbird
import Store

/// Pages whose features arrive in later issues. Each says plainly what it will hold and that it is not built yet,
/// rather than pretending with a half-working form.
struct EmptyAreaController {
    let services: AppServices

    struct Area: Sendable {
        var route: TenantRoute
        var navLabel: String
        var title: String
        var purpose: String
    }

    static let dataAreas: [Area] = []

    func addDataRoutes(to group: RouterGroup<TenantContext>) {
        for area in Self.dataAreas { group.get(area.route, use: handler(area)) }
    }

    private func handler(_ area: Area) -> @Sendable (Request, TenantContext) async throws -> Response {
        { [services] _, context in
            try services.views.page(
                "empty-area",
                EmptyAreaPage(
                    chrome: try await services.chrome(area.title, section: area.navLabel, context),
                    title: area.title,
                    purpose: area.purpose
                )
            )
        }
    }
}
