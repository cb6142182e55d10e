import Mustache

// swift-mustache asks every value it renders, one `as?` cast after another, whether it is a template, a custom
// renderable, a lambda or an Optional, and then prints it with `String(describing:)`, which casts again; and a section
// over a String (`{{#notice}}…{{notice}}…{{/notice}}`) pushes it on the context stack, where every lookup inside
// reflects it through Mirror before climbing past it. Conformance look-ups were 18% of Data > Profiles' CPU.
// These answer at the first cast, with the very text `String(describing:)` gives and the nothing Mirror finds, so a
// page renders the same bytes. (Retroactive: should swift-mustache add these itself, drop them here.)

extension String: @retroactive MustacheCustomRenderable, @retroactive MustacheParent {
    public var renderText: String { self }
    public var isNull: Bool { false }
    public func child(named: String) -> Any? { nil }
}

extension Int: @retroactive MustacheCustomRenderable, @retroactive MustacheParent {
    public var renderText: String { String(self) }
    public var isNull: Bool { false }
    public func child(named: String) -> Any? { nil }
}
