import Foundation
import OutboundCore
import Store

@testable import Web

// Fixed values for every page model: no clock, no time zone, no random ids, so a snapshot changes only when a
// template or a model does.

extension Chrome {
    static func mockTenant(_ title: String, section: String, isAdmin: Bool = true) -> Chrome {
        func link(_ label: String, _ route: TenantRoute) -> Link { Link(label: label, href: route.path("acme"), current: label == section) }
        return Chrome(
            title: title,
            userEmail: "alice@acme.test",
            csrf: "mock-csrf-token",
            tenantName: "Acme Corp",
            tenantSlug: "acme",
            roleLabel: isAdmin ? "Administrator" : "Contributor",
            tenants: [
                Link(label: "Acme Corp", href: TenantRoute.root.path("acme"), current: true),
                Link(label: "Globex", href: TenantRoute.root.path("globex"), current: false),
            ],
            adminNav: isAdmin
                ? [
                    link("Connections", .connections), link("Members", .members), link("System", .system),
                    link("Activity", .activity),
                ] : [],
            dataNav: [link("Profiles", .profiles), link("Segments", .segments), link("Exports", .exports)],
            showSwitcher: true,
            isAdmin: isAdmin
        )
    }

    static let mockAccount = Chrome(
        title: "Your account",
        userEmail: "alice@acme.test",
        csrf: "mock-csrf-token",
        tenants: [Link(label: "Acme Corp", href: "/t/acme", current: false)]
    )
}

extension AuthController.LoginPage {
    static let mock = Self(loginToken: "mock-login-token", email: "alice@acme.test", error: "The email or password is not right.")
}

extension HomeController.HomePage {
    static let mock = Self(
        chrome: .mockAccount,
        tenants: [
            .init(name: "Acme Corp", href: "/t/acme", role: "Administrator"), .init(name: "Globex", href: "/t/globex", role: "Viewer"),
        ],
        hasTenants: true,
        invitations: [
            .init(
                id: 7,
                tenantName: "Initech <Berlin>",
                role: "Contributor",
                invitedBy: "peter@initech.test",
                invitedAt: "2026-11-24 16:00 UTC"
            )
        ],
        hasInvitations: true
    )
}

extension AccountController.AccountPage {
    static let mock = Self(
        chrome: .mockAccount,
        email: "alice@acme.test",
        mustChangePassword: true,
        notice: nil,
        currentError: "The current password is not right.",
        newError: "Use at least 12 characters.",
        confirmError: nil,
        sessions: [
            .init(
                started: "2026-11-20 09:00 UTC",
                lastSeen: "2026-11-25 10:00 UTC",
                address: "203.0.113.7",
                userAgent: "Firefox",
                current: true
            ),
            .init(
                started: "2026-11-18 14:30 UTC",
                lastSeen: "2026-11-19 08:15 UTC",
                address: "198.51.100.2",
                userAgent: "<Safari>",
                current: false
            ),
        ],
        hasOtherSessions: true
    )
}

extension ErrorPage {
    static let mock = ErrorPage(status: .forbidden, message: "Viewers cannot import profiles.")
}

extension MembersController.MembersPage {
    static let mock: Self = {
        let roles = Role.allCases.map { RoleOption(value: $0.rawValue, label: $0.label, selected: $0 == .viewer) }
        return Self(
            chrome: .mockTenant("Members", section: "Members"),
            addAction: TenantRoute.members.path("acme"),
            members: [
                .init(
                    userId: 1,
                    email: "alice@acme.test",
                    roleLabel: "Administrator",
                    since: "2026-11-01 08:00 UTC",
                    isYou: true,
                    roleAction: TenantRoute.memberRole.path("acme", 1),
                    removeAction: TenantRoute.memberRemove.path("acme", 1),
                    resetHref: TenantRoute.memberResetPassword.path("acme", 1),
                    roles: roles
                ),
                .init(
                    userId: 2,
                    email: "<b>bob</b>@acme.test",
                    roleLabel: "Contributor",
                    since: "2026-11-02 08:00 UTC",
                    isYou: false,
                    roleAction: TenantRoute.memberRole.path("acme", 2),
                    removeAction: TenantRoute.memberRemove.path("acme", 2),
                    resetHref: TenantRoute.memberResetPassword.path("acme", 2),
                    roles: roles
                ),
            ],
            invitations: [
                .init(
                    email: "Dave@Acme.test",
                    roleLabel: "Viewer",
                    invited: "2026-11-25 09:00 UTC by alice@acme.test",
                    withdrawAction: TenantRoute.memberInvitationWithdraw.path("acme", 3)
                )
            ],
            hasInvitations: true,
            roles: roles,
            notice: "Invited dave@acme.test as Viewer.",
            error: nil,
            emailError: "Enter an email address.",
            email: "",
            oneTimePassword: "abcdefg-hijkmnp-qrstuvw",
            newAccountEmail: "dave@acme.test",
            resetPassword: nil,
            resetEmail: nil
        )
    }()
}

extension ActivityController.ActivityPage {
    static let mock = Self(
        chrome: .mockTenant("Activity", section: "Activity"),
        events: [
            .init(
                when: "2026-11-25 10:00 UTC",
                who: "alice@acme.test",
                action: "member.added",
                detail: "Added dave@acme.test as Viewer",
                address: "203.0.113.7"
            ),
            .init(
                when: "2026-11-25 09:58 UTC",
                who: "alice@acme.test",
                action: "segment.refreshed",
                detail: "Refreshed \"A & B\" <all> (O'Brien's)",
                address: "203.0.113.7"
            ),
        ],
        hasEvents: true,
        page: 2,
        newerHref: TenantRoute.activity.path("acme"),
        olderHref: TenantRoute.activity.path("acme", query: ["page": "3"])
    )
}

extension EmptyAreaController.EmptyAreaPage {
    static let mock = Self(
        chrome: .mockTenant("System", section: "System"),
        title: "System",
        purpose: "The system refresh schedule: when segments refresh and scheduled exports run."
    )
}

extension SystemController.SystemPage {
    static let mock: Self = {
        var page = Self.build(
            SystemRefreshState(
                schedule: RefreshSchedule(
                    frequency: .weekly,
                    weekdays: [.monday, .friday],
                    times: [RefreshSchedule.LocalTime(hour: 6, minute: 0)!]
                ),
                timeZone: "Europe/Berlin",
                nextRefreshAt: Date(timeIntervalSince1970: 1_781_496_000),
                lastRefreshAt: Date(timeIntervalSince1970: 1_781_236_800),
                lastRefreshSummary: "Refreshed 2 segments; queued 1 export; skipped <b>News</b> (The previous run (#4) is still going.)."
            ),
            slug: "acme",
            chrome: .mockTenant("System", section: "System"),
            form: ScheduleForm(fields: [
                "frequency": "weekly", "day1": "on", "day5": "on", "time1": "06:00", "time2": "25:00", "timeZone": "Europe/Berlin",
            ]),
            problems: .init(times: [2: "Enter a 24-hour time like 06:30."]),
            zones: ["America/New_York", "Europe/Berlin", "UTC"]
        )
        page.notice = "The schedule was saved."
        return page
    }()
}

extension ConnectionsController.ListPage {
    static let mock = Self(
        chrome: .mockTenant("Connections", section: "Connections"),
        rows: [
            .init(
                name: "Main <account>",
                href: TenantRoute.connection.path("acme", 1),
                type: "ActiveCampaign",
                host: "acme.api-us1.com",
                usableBy: "Administrators and contributors",
                exportUser: "alice@acme.test",
                connected: true,
                attention: nil,
                created: "2026-11-20",
                lastVerified: "2026-11-25"
            ),
            .init(
                name: "Old",
                href: TenantRoute.connection.path("acme", 2),
                type: "ActiveCampaign",
                host: "Not connected",
                usableBy: "Administrators",
                exportUser: "bob@acme.test (no longer an admin)",
                connected: false,
                attention: "ActiveCampaign did not accept this API key.",
                created: "2026-10-01",
                lastVerified: "Never"
            ),
        ],
        hasRows: true,
        newHref: TenantRoute.newConnection.path("acme"),
        notice: "The connection was saved."
    )
}

extension ConnectionsController.ChoosePage {
    static let mock = Self(
        chrome: .mockTenant("Add connection", section: "Connections"),
        activeCampaignHref: TenantRoute.newConnection.path("acme", query: ["type": "activecampaign"])
    )
}

extension ConnectionsController.FormPage {
    static let mock = Self(
        chrome: .mockTenant("Connection Main", section: "Connections"),
        isNew: false,
        action: TenantRoute.connection.path("acme", 1),
        removeHref: TenantRoute.removeConnection.path("acme", 1),
        draftId: "7",
        name: "Main",
        usableByAdmins: false,
        usableByContributors: true,
        apiHost: "https://acme.api-us1.com/api/3/",
        hostNote: "Outbound uses the hostname acme.api-us1.com (the address part of what was pasted).",
        keyStatus: "Stored key ends in abcd, last verified 2026-11-25 09:30 UTC.",
        connectedAs: "acme (owner@acme.example)",
        exportUser: "alice@acme.test",
        exportUserLost: false,
        consentGiven: true,
        consentRecord: "Agreed by alice@acme.test on 2026-11-20 09:00 UTC.",
        notice: nil,
        nameError: nil,
        keyError: "Press Connect to check the new key before saving.",
        hostError: nil,
        consentError: nil,
        exportUserError: nil,
        formError: nil
    )
}

extension ConnectionsController.RemovePage {
    static let mock = Self(
        chrome: .mockTenant("Remove Main", section: "Connections"),
        name: "Main",
        action: TenantRoute.removeConnection.path("acme", 1),
        cancelHref: TenantRoute.connection.path("acme", 1),
        exports: [.init(name: "Weekly newsletter")],
        hasExports: true
    )
}

extension ProfilesController.ProfilesPage {
    static let mock = Self(
        chrome: .mockTenant("Profiles", section: "Profiles", isAdmin: false),
        count: "1,002",
        canEdit: true,
        importAction: TenantRoute.importProfiles.path("acme", query: ["_csrf": "mock-csrf-token"]),
        maxUploadText: "2 GiB",
        headings: [.init(name: "email", type: "text"), .init(name: "age", type: "number")],
        rows: [
            .init(
                profileId: "p-1",
                href: TenantRoute.profile.path("acme", 1),
                cells: ["ann@example.com", "O'Brien & \"Co\""]
            ),
            .init(
                profileId: "p-2",
                href: TenantRoute.profile.path("acme", 2),
                cells: ["<script>x</script>", ""]
            ),
        ],
        hasRows: true,
        emptyMessage: "No more profiles.",
        search: "example",
        nextHref: TenantRoute.profiles.path("acme", query: ["q": "example", "after": "2"]),
        firstHref: TenantRoute.profiles.path("acme", query: ["q": "example"]),
        imports: [
            .init(
                href: TenantRoute.importJob.path("acme", 3),
                fileName: "people.csv",
                status: "Imported with rejected rows",
                started: "2026-11-25 09:00 UTC",
                counts: "1,002 imported, 2 rejected"
            )
        ],
        hasImports: true,
        deleteHref: TenantRoute.deleteProfiles.path("acme"),
        notice: nil
    )
}

extension ForgetPersonController.ForgetPage {
    static let mock = Self(
        chrome: .mockTenant("Forget a person", section: "Profiles"),
        action: TenantRoute.forgetPerson.path("acme"),
        cancelHref: TenantRoute.profiles.path("acme"),
        email: "",
        emailError: nil,
        outcome: "removed 2 profile(s), 1 delivery record(s), 1 export row(s) and 0 import problem(s)"
    )
}

extension ProfilesController.ImportPage {
    static let mock = Self(
        chrome: .mockTenant("Import people.csv", section: "Profiles"),
        running: false,
        fileName: "people.csv",
        status: "Failed",
        failed: true,
        rowsRead: "0",
        rowsImported: "0",
        rowsRejected: "0",
        rowsRemoved: nil,
        message: "No id column was found. Choose which column holds the id.",
        problems: [.init(line: 4, problem: "expected 3 values, found 4")],
        hasProblems: true,
        moreProblems: "and 2 more rejected rows",
        backHref: TenantRoute.profiles.path("acme"),
        chooseColumns: ["email", "customer"],
        waitsForIdColumn: true,
        retryAction: TenantRoute.retryImport.path("acme", 3),
        csrf: "mock-csrf-token"
    )
}

extension ProfilesController.DeletePage {
    static let mock = Self(
        chrome: .mockTenant("Delete all profiles", section: "Profiles"),
        count: "1,002",
        action: TenantRoute.deleteProfiles.path("acme"),
        cancelHref: TenantRoute.profiles.path("acme")
    )
}

extension SegmentsController.ListPage {
    static let mock = Self(
        chrome: .mockTenant("Segments", section: "Segments"),
        rows: [
            .init(
                name: "Berlin",
                href: TenantRoute.segment.path("acme", 1),
                members: "997",
                refreshed: "2026-11-25 09:00 UTC",
                exports: "Weekly DE"
            ),
            .init(name: "New", href: TenantRoute.segment.path("acme", 2), members: "0", refreshed: "Never", exports: "None"),
        ],
        hasRows: true,
        canEdit: true,
        newHref: TenantRoute.newSegment.path("acme"),
        notice: "The segment was deleted."
    )
}

extension SegmentsController.EditorPage {
    static let mock: Self = {
        let attributes = [
            SegmentsController.Option(value: "", label: "— attribute —", selected: false),
            .init(value: "city", label: "city (text)", selected: true),
        ]
        let operators = [
            SegmentsController.Option(value: "equals", label: "is", selected: true),
            .init(value: "between", label: "is between", selected: false),
        ]
        let blank = [
            SegmentsController.Option(value: "", label: "— attribute —", selected: true),
            .init(value: "city", label: "city (text)", selected: false),
        ]
        return Self(
            chrome: .mockTenant("Segment Berlin", section: "Segments"),
            isNew: false,
            canEdit: true,
            action: TenantRoute.segment.path("acme", 1),
            name: "Berlin",
            description: "People in Berlin",
            all: true,
            any: false,
            groups: [
                .init(
                    prefix: "g0",
                    number: 1,
                    all: false,
                    any: true,
                    conditions: [
                        .init(prefix: "g0.c0", attributes: attributes, operators: operators, value: "Berlin", value2: "", problem: nil),
                        .init(
                            prefix: "g0.c1",
                            attributes: blank,
                            operators: operators,
                            value: "",
                            value2: "",
                            problem: "Choose an attribute."
                        ),
                    ],
                    addCondition: "add-condition:0"
                )
            ],
            hasAttributes: true,
            preview: "997 profiles match these rules now.",
            notice: nil,
            problem: nil,
            nameError: nil,
            memberCount: "997",
            refreshed: "2026-11-25 09:00 UTC",
            exports: "Weekly DE",
            profilesHref: TenantRoute.profiles.path("acme"),
            deleteHref: TenantRoute.deleteSegment.path("acme", 1)
        )
    }()
}

extension SegmentsController.DeletePage {
    static let mock = Self(
        chrome: .mockTenant("Delete Berlin", section: "Segments"),
        name: "Berlin",
        members: "997",
        exports: [.init(name: "Weekly DE", href: TenantRoute.export.path("acme", 4))],
        inUse: true,
        action: TenantRoute.deleteSegment.path("acme", 1),
        cancelHref: TenantRoute.segment.path("acme", 1)
    )
}

extension ProfileController.ProfilePage {
    static let mock = Self(
        chrome: .mockTenant("Profile p-1", section: "Profiles"),
        profileId: "p-1",
        values: [.init(name: "email", type: "text", value: "ann@example.com"), .init(name: "note", type: "text", value: "<b>long</b>")],
        canEdit: true,
        deleteHref: TenantRoute.deleteProfile.path("acme", 1),
        backHref: TenantRoute.profiles.path("acme")
    )
}

extension ProfileController.DeleteOnePage {
    static let mock = Self(
        chrome: .mockTenant("Delete profile p-1", section: "Profiles"),
        profileId: "p-1",
        action: TenantRoute.deleteProfile.path("acme", 1),
        cancelHref: TenantRoute.profile.path("acme", 1)
    )
}

extension MembersController.ResetPage {
    static let mock = Self(
        chrome: .mockTenant("Reset the password of bob@acme.test", section: "Members"),
        email: "bob@acme.test",
        memberElsewhere: false,
        action: TenantRoute.memberResetPassword.path("acme", 2),
        cancelHref: TenantRoute.members.path("acme")
    )
}

extension MembersController.RemovePage {
    static let mock = Self(
        chrome: .mockTenant("Remove bob@acme.test", section: "Members"),
        email: "bob@acme.test",
        roleLabel: "Contributor",
        workspace: "Acme Corp",
        isYou: false,
        isLastAdmin: false,
        action: TenantRoute.memberRemove.path("acme", 2),
        cancelHref: TenantRoute.members.path("acme")
    )
}
