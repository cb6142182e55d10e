import Hummingbird

/// Demo > ActiveCampaign: what the in-process sandbox received, so a person sees an export's result beside its
/// run page. Registered only in demo mode; every member of the workspace may read it (`viewData`).
struct DemoController {
    static let section = "ActiveCampaign (demo)"
    let services: AppServices
    let demo: DemoMode

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.demoActiveCampaign, use: show)
    }

    @Sendable func show(request: Request, context: TenantContext) async throws -> Response {
        try services.views.page(
            "demo/activecampaign",
            DemoPage.build(
                await demo.received(),
                slug: context.access.tenant.slug,
                chrome: try await services.chrome(Self.section, section: Self.section, context)
            )
        )
    }
}
