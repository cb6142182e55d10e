/// Refusals a person can act on; the web layer turns each into a message next to the field it concerns.
public enum StoreError: Error, Equatable, Sendable {
    case notFound
    case slugTaken
    case alreadyMember
    case alreadyInvited
    case lastAdmin
}
