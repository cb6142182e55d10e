/// The page models of Templates/profiles/profile.mustache and profiles/delete-one.mustache.
extension ProfileController {
    struct ProfilePage {
        struct Value {
            var name: String
            var type: String
            var value: String
        }
        var chrome: Chrome
        var profileId: String
        var values: [Value]
        var canEdit: Bool
        var deleteHref: String
        var backHref: String
    }

    struct DeleteOnePage {
        var chrome: Chrome
        var profileId: String
        var action: String
        var cancelHref: String
    }
}
