import Foundation

extension Sandbox {
    // MARK: Bulk import

    func bulkImport(_ request: SandboxRequest, _ account: inout SandboxAccount, now: Date) -> SandboxResponse {
        func rejected(_ reasons: [JSONValue], message: String) -> SandboxResponse {
            .json(400, ["success": 0, "message": .string(message), "failureReasons": .array(reasons)])
        }
        let notQueued =
            "JSON payload did not pass validation. Please fix failure Reasons and retry. The import was not queued for processing."
        guard request.body.count <= configuration.maxImportBytes else {
            return rejected(
                [.string("Payload is \(request.body.count) bytes; it must be at most \(configuration.maxImportBytes) bytes.")],
                message: notQueued
            )
        }
        guard let body = try? JSONDecoder().decode(JSONValue.self, from: request.body), let contacts = body["contacts"]?.array else {
            return rejected([.string("Field 'contacts' not found")], message: notQueued)
        }
        guard !contacts.isEmpty else { return rejected([.string("Field 'contacts' is empty")], message: notQueued) }
        guard contacts.count <= configuration.maxContactsPerImport else {
            return rejected(
                [.string("Up to \(configuration.maxContactsPerImport) contacts may be imported per request.")],
                message: notQueued
            )
        }
        // The importer's own limits, told apart by their body.
        let single = contacts.count == 1
        let admitted = single ? account.singleImportLimiter.admit(now: now) : account.multiImportLimiter.admit(now: now)
        if let wait = admitted {
            let limit = single ? configuration.importsPerMinuteSingle : configuration.importsPerMinuteMulti
            let status = configuration.importerLimitStatus
            return .json(
                status,
                [
                    "success": 0, "message": "Rate limit exceeded.",
                    "failureReasons": [
                        .string(
                            "Up to \(limit) imports may be requested per minute.Please batch contacts into larger requests, or retry this request in a minute."
                        )
                    ],
                ],
                headers: status == 429 ? [("Retry-After", String(Int(wait.rounded(.up)).clamped(min: 1)))] : []
            )
        }
        var reasons: [JSONValue] = []
        var objects: [[String: JSONValue]] = []
        for (index, contact) in contacts.enumerated() {
            guard let object = contact.object else {
                reasons.append([
                    "contact": .number(Double(index + configuration.failureIndexBase)), "failureReason": "Contact is not an object",
                ])
                continue
            }
            guard let email = object["email"]?.string, !email.isEmpty else {
                reasons.append([
                    "contact": .number(Double(index + configuration.failureIndexBase)), "failureReason": "Field 'email' not found",
                ])
                continue
            }
            if !EmailRule.isValid(email) || configuration.faults.refuseEmailsContaining.map({ !$0.isEmpty && email.contains($0) }) == true {
                reasons.append([
                    "contact": .number(Double(index + configuration.failureIndexBase)),
                    "failureReason": .string("Field 'email' incorrect format: \(email)"),
                ])
            }
            objects.append(object)
        }
        guard reasons.isEmpty else {
            if configuration.faults.refuseWithoutNaming == true {
                return rejected([.string("One or more contacts could not be validated.")], message: notQueued)
            }
            return rejected(reasons, message: notQueued)
        }

        let batchId = UUID().uuidString.lowercased()
        let start = max(now.addingTimeInterval(configuration.scaled(configuration.importLatency)), account.lastFinish)
        let finish = start.addingTimeInterval(
            configuration.scaled(Double(objects.count) / max(configuration.importContactsPerSecond, 0.001))
        )
        var batch = ImportBatch(
            id: batchId,
            contacts: objects,
            topLevelExcludeAutomations: body["exclude_automations"]?.bool ?? false,
            queuedAt: now,
            startAt: start,
            finishAt: finish
        )
        batch.size = objects.count
        if configuration.faults.batchFailureRate > 0, random.nextDouble() < configuration.faults.batchFailureRate {
            batch.outcome = configuration.faults.batchFailureStatus
        }
        account.lastFinish = finish
        account.receivedContacts += objects.count
        account.receivedImports += 1
        account.batches[batchId] = batch
        account.batchOrder.append(batchId)
        return .json(
            200,
            [
                configuration.successKey: 1, "queued_contacts": .number(Double(objects.count)),
                "batchId": .string(batchId), "message": "Contact import queued",
            ]
        )
    }

    func importInfo(_ request: SandboxRequest, _ account: inout SandboxAccount, now: Date) -> SandboxResponse {
        guard let batchId = request.query["batchId"], !batchId.isEmpty else {
            return .json(400, ["success": 0, "message": "'batchId' is a required field."])
        }
        guard let batch = account.batches[batchId] else {
            return .json(404, ["message": .string("No Result found for batch \(batchId)")])
        }
        if now < batch.queuedAt.addingTimeInterval(configuration.scaled(configuration.importInfoDelay)) {
            return .json(200, ["status": false])
        }
        if now < batch.startAt { return .json(200, ["status": "waiting", "success": [], "failure": []]) }
        if now < batch.finishAt { return .json(200, ["status": "active", "success": [], "failure": []]) }
        return .json(
            200,
            [
                "status": .string(batch.outcome), "success": .array(batch.success.map { .string($0) }),
                "failure": .array(batch.failure.map { .string($0) }),
            ]
        )
    }

    /// Applies, in queue order, every batch whose processing has finished by `now`.
    func advanceImports(_ account: inout SandboxAccount, to now: Date) {
        for batchId in account.batchOrder {
            guard var batch = account.batches[batchId], !batch.applied else { continue }
            guard batch.finishAt <= now else { break }
            apply(&batch, to: &account, now: batch.finishAt)
            batch.applied = true
            batch.contacts = []  // the payload is no longer needed; keep memory flat over long runs
            account.batches[batchId] = batch
        }
        account.batchOrder.removeAll { account.batches[$0]?.applied == true }
    }

    private func apply(_ batch: inout ImportBatch, to account: inout SandboxAccount, now: Date) {
        let contacts: ArraySlice<[String: JSONValue]>
        switch batch.outcome {
        case "failed": return
        case "interrupted": contacts = batch.contacts.prefix(batch.contacts.count / 2)
        default: contacts = batch.contacts[...]
        }
        let knownLists = Set(configuration.lists.map(\.id))
        for object in contacts {
            let email = object["email"]?.string ?? ""
            let subscribe = (object["subscribe"]?.array ?? []).compactMap { $0["listid"]?.int }.filter(knownLists.contains)
            let unsubscribe = (object["unsubscribe"]?.array ?? []).compactMap { $0["listid"]?.int }.filter(knownLists.contains)
            let excludeAutomations = object["exclude_automations"]?.bool ?? batch.topLevelExcludeAutomations
            if !excludeAutomations {
                for list in subscribe { account.automationsTriggered[list, default: 0] += 1 }
            }
            if configuration.discard {
                for list in subscribe { account.discardedContacts[list, default: 0] += 1 }
                continue
            }
            if let failing = configuration.faults.failEmailsContaining, !failing.isEmpty, email.contains(failing) {
                batch.failure.append(email)
                continue
            }
            let isNew = account.emailIndex[email.lowercased()] == nil
            if isNew, !subscribe.isEmpty, let limit = configuration.contactLimit, account.activeContactCount >= limit {
                batch.failure.append(email)
                continue
            }
            let id = upsert(&account, email: email, now: now) { contact in
                if let value = object["first_name"]?.string { contact.firstName = value }
                if let value = object["last_name"]?.string { contact.lastName = value }
                if let value = object["phone"]?.string { contact.phone = value }
                for field in object["fields"]?.array ?? [] {
                    if let fieldId = field["id"]?.int, let value = field["value"]?.string { contact.fields[fieldId] = value }
                }
                for tag in object["tags"]?.array ?? [] { if let name = tag.string { contact.tags.insert(name) } }
                // The importer never re-subscribes a contact who unsubscribed from the list.
                for list in subscribe where contact.lists[list] != .unsubscribed { contact.lists[list] = .active }
                for list in unsubscribe { contact.lists[list] = .unsubscribed }
            }
            batch.success.append(String(id))
        }
    }

    // MARK: Inspection (`/__sandbox/…`), for tests and demos

    func inspect(_ request: SandboxRequest) -> SandboxResponse {
        let key = request.apiToken ?? request.query["key"] ?? configuration.accounts.first!.apiKey
        guard var account = accounts[key] else { return .json(404, ["message": "No such account"]) }
        advanceImports(&account, to: now())
        accounts[key] = account
        let parts = request.path.split(separator: "/").map(String.init).dropFirst()
        switch (request.method, Array(parts)) {
        case ("GET", let path) where path.count == 3 && path[0] == "lists" && path[2] == "contacts":
            guard let list = Int(path[1]) else { return .json(404, ["message": "No such list"]) }
            let members = account.contacts.values.filter { $0.lists[list] != nil }.sorted { $0.id < $1.id }.map { contact -> JSONValue in
                [
                    "id": .number(Double(contact.id)), "email": .string(contact.email), "firstName": .string(contact.firstName),
                    "lastName": .string(contact.lastName), "phone": .string(contact.phone),
                    "status": .number(Double(contact.lists[list]!.rawValue)),
                ]
            }
            return .json(200, ["contacts": .array(members), "discarded": .number(Double(account.discardedContacts[list] ?? 0))])
        case ("DELETE", let path) where path.count == 2 && path[0] == "lists":
            // A list deleted in ActiveCampaign (its id then answers 404).
            guard let list = Int(path[1]) else { return .json(404, ["message": "No such list"]) }
            configuration.lists.removeAll { $0.id == list }
            return .json(200, ["deleted": .number(Double(list))])
        case ("POST", ["revoke"]):
            // The key was reset in ActiveCampaign: every call with it answers 403 from now on.
            accounts[key] = nil
            return .json(200, ["revoked": true])
        case ("GET", ["received"]):
            return .json(200, ["contacts": .number(Double(account.receivedContacts)), "imports": .number(Double(account.receivedImports))])
        case ("GET", ["requests"]):
            return .json(200, ["counts": .object((requestCounts[key] ?? [:]).mapValues { .number(Double($0)) })])
        case ("GET", ["automations"]):
            return .json(
                200,
                [
                    "triggered": .object(
                        Dictionary(
                            uniqueKeysWithValues: account.automationsTriggered.map {
                                (String($0.key), JSONValue.number(Double($0.value)))
                            }
                        )
                    )
                ]
            )
        case ("GET", ["batches"]):
            return .json(200, ["pending": .number(Double(account.batchOrder.count)), "total": .number(Double(account.batches.count))])
        case ("POST", ["reset"]):
            accounts[key] = Self.makeAccount(account.spec, id: account.id, configuration: configuration)
            requestCounts[key] = [:]
            return .json(200, ["reset": true])
        case ("POST", ["faults"]):
            guard let faults = try? JSONDecoder().decode(SandboxConfiguration.Faults.self, from: request.body) else {
                return .json(400, ["message": "Expected a faults object"])
            }
            configuration.faults = faults
            random = SplitMix64(seed: faults.seed)
            for apiKey in accounts.keys { accounts[apiKey]!.burst429Left = faults.burst429 }
            return .json(200, ["faults": "updated"])
        default:
            return .json(404, ["message": "Unknown sandbox inspection endpoint"])
        }
    }
}
