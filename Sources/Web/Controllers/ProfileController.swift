import Hummingbird
import Store

/// Data > Profiles > one profile: every attribute with its whole value (the list truncates long ones), and its
/// deletion, confirmed on a page that says what it does. Admins and contributors delete; viewers read.
struct ProfileController {
    let services: AppServices

    func addRoutes(to group: RouterGroup<TenantContext>) {
        group.get(.profile, use: show)
        group.get(.deleteProfile, use: deletePage)
        group.post(.deleteProfile, use: delete)
    }

    @Sendable func show(request: Request, context: TenantContext) async throws -> Response {
        let profile = try await load(context)
        let attributes = try await services.database.attributes(tenantId: context.tenantId)
        let slug = context.access.tenant.slug
        return try services.views.page(
            "profiles/profile",
            ProfilePage(
                chrome: try await services.chrome("Profile \(profile.profileId)", section: "Profiles", context),
                profileId: profile.profileId,
                values: attributes.map { .init(name: $0.name, type: $0.type.rawValue, value: profile.values[$0.id!] ?? "") },
                canEdit: context.policy.can(.changeData),
                deleteHref: TenantRoute.deleteProfile.path(slug, profile.rowId),
                backHref: TenantRoute.profiles.path(slug)
            )
        )
    }

    @Sendable func deletePage(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot delete profiles.")
        let profile = try await load(context)
        let slug = context.access.tenant.slug
        return try services.views.page(
            "profiles/delete-one",
            DeleteOnePage(
                chrome: try await services.chrome("Delete profile \(profile.profileId)", section: "Profiles", context),
                profileId: profile.profileId,
                action: TenantRoute.deleteProfile.path(slug, profile.rowId),
                cancelHref: TenantRoute.profile.path(slug, profile.rowId)
            )
        )
    }

    @Sendable func delete(request: Request, context: TenantContext) async throws -> Response {
        try context.policy.require(.changeData, "Viewers cannot delete profiles.")
        let rowId = try context.parameters.require("id", as: Int64.self)
        guard try await services.database.deleteProfile(tenantId: context.tenantId, rowId: rowId, actor: context.actor) != nil else {
            throw HTTPError(.notFound)
        }
        return .seeOther(TenantRoute.profiles.path(context.access.tenant.slug, query: ["done": "deletedOne"]))
    }

    private func load(_ context: TenantContext) async throws -> ProfileRow {
        guard let rowId = context.parameters.get("id", as: Int64.self),
            let profile = try await services.database.profile(tenantId: context.tenantId, rowId: rowId)
        else { throw HTTPError(.notFound) }
        return profile
    }
}
