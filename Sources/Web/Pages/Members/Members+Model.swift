import OutboundCore
import Store

/// The page model of Templates/members.mustache: plain stored values, which Mustache reads through PageFields.generated.swift.
extension MembersController {
    struct MembersPage {
        struct Row {
            var userId: Int64
            var email: String
            var roleLabel: String
            var since: String
            var isYou: Bool
            var roleAction: String
            var removeAction: String
            var resetHref: String
            var roles: [RoleOption]
        }
        struct RoleOption {
            var value: String
            var label: String
            var selected: Bool
        }
        struct Pending {
            var email: String
            var roleLabel: String
            var invited: String
            var withdrawAction: String
        }
        var chrome: Chrome
        var addAction: String
        var members: [Row]
        var invitations: [Pending]
        var hasInvitations: Bool
        var roles: [RoleOption]
        var notice: String?
        var error: String?
        var emailError: String?
        var email: String
        var oneTimePassword: String?
        var newAccountEmail: String?
        var resetPassword: String?
        var resetEmail: String?
    }

    /// Templates/members/reset.mustache: what a password reset does, before it is done.
    struct ResetPage {
        var chrome: Chrome
        var email: String
        var memberElsewhere: Bool
        var action: String
        var cancelHref: String
    }

    /// Templates/members/remove.mustache: what removing this member will do, before it is done.
    struct RemovePage {
        var chrome: Chrome
        var email: String
        var roleLabel: String
        var workspace: String
        var isYou: Bool
        var isLastAdmin: Bool
        var action: String
        var cancelHref: String
    }
}

extension MembersController.MembersPage {
    /// Built from store reads; the controller and the tests call it.
    /// The member list with its forms, the pending invitations; the add form starts empty, with Viewer chosen.
    static func build(_ members: [Member], invitations: [Invitation], slug: String, you: Int64, chrome: Chrome) -> Self {
        func options(_ selected: Role?) -> [RoleOption] {
            Role.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: $0 == selected) }
        }
        return Self(
            chrome: chrome,
            addAction: TenantRoute.members.path(slug),
            members: members.map {
                .init(
                    userId: $0.userId,
                    email: $0.email,
                    roleLabel: $0.role.label,
                    since: Format.dateTime($0.since),
                    isYou: $0.userId == you,
                    roleAction: TenantRoute.memberRole.path(slug, $0.userId),
                    removeAction: TenantRoute.memberRemove.path(slug, $0.userId),
                    resetHref: TenantRoute.memberResetPassword.path(slug, $0.userId),
                    roles: options($0.role)
                )
            },
            invitations: invitations.map {
                .init(
                    email: $0.email,
                    roleLabel: $0.role.label,
                    invited: "\(Format.dateTime($0.createdAt)) by \($0.invitedByEmail)",
                    withdrawAction: TenantRoute.memberInvitationWithdraw.path(slug, $0.id!)
                )
            },
            hasInvitations: !invitations.isEmpty,
            roles: options(.viewer),
            notice: nil,
            error: nil,
            emailError: nil,
            email: "",
            oneTimePassword: nil,
            newAccountEmail: nil,
            resetPassword: nil,
            resetEmail: nil
        )
    }
}
