/// Refusals a person can act on; the web layer turns each into a message next to the field it concerns.
public enum StoreError: Error, Equatable, Sendable {
    case notFound
    case slugTaken
    case alreadyMember
    case alreadyInvited
    case lastAdmin
    /// The account belongs to other workspaces too: one workspace's admin must not take it over for all of them.
    case memberElsewhere
}
