import Foundation

/// The demo's customer profiles as CSV: deterministic (a seeded generator), realistic enough to browse, segment
/// and export, with a few hundred invalid emails and some people present twice under one email, as real data has.
struct DemoProfiles {
    static let header = "profile_id,email,first_name,last_name,phone,country,city,lifetime_value:number,newsletter:boolean,signed_up:date"

    let count: Int
    var seed: UInt64 = 2026

    /// Writes `count` rows to `path` (owner-only) and returns how many have an invalid email and how many repeat
    /// an earlier profile's email.
    func write(to path: String) throws -> (invalid: Int, duplicates: Int) {
        var random = DemoRandom(seed: seed)
        var text = Self.header + "\n"
        text.reserveCapacity(count * 110)
        var invalid = 0
        var duplicates = 0
        var emails: [String] = []
        emails.reserveCapacity(count)
        for index in 1...max(count, 1) {
            let firstIndex = random.below(Self.firstNames.count)
            let lastIndex = random.below(Self.lastNames.count)
            let (first, last) = (Self.firstNames[firstIndex], Self.lastNames[lastIndex])
            let country = Self.countries[random.weighted(Self.countryWeights)]
            let local = "\(Self.emailNames.first[firstIndex]).\(Self.emailNames.last[lastIndex])\(index % 997)"
            var email = "\(local)@\(Self.domains[random.below(Self.domains.count)])"
            // About 1 in 300 is malformed (the engine reports them as invalid, never sends them), about 1 in 250
            // repeats an earlier person's email in other letter case (one contact in ActiveCampaign).
            if random.below(300) == 0 {
                email = Self.malform(email, random.below(4))
                invalid += 1
            } else if index > 100, random.below(250) == 0 {
                email = emails[random.below(emails.count)].uppercased()
                duplicates += 1
            }
            emails.append(email)
            let value = random.below(1_000) == 0 ? 2_000 + random.below(8_000) : random.below(1_500)
            let cents = random.below(100)
            let newsletter = random.below(2) == 0
            let day = 1 + random.below(28)
            let month = 1 + random.below(12)
            let year = 2019 + random.below(7)
            text +=
                "\(index),\(email),\(first),\(last),\(country.phonePrefix) \(100 + random.below(900)) \(1_000_000 + random.below(9_000_000)),"
            text += "\(country.code),\(country.cities[random.below(country.cities.count)]),\(value).\(cents < 10 ? "0" : "")\(cents),"
            text += "\(newsletter),\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("Cannot write the demo's profiles to \(path).")
        }
        return (invalid, duplicates)
    }

    static func malform(_ email: String, _ kind: Int) -> String {
        switch kind {
        case 0: email.replacingOccurrences(of: "@", with: ".")  // no @ at all
        case 1: email.replacingOccurrences(of: "@", with: "@@")
        case 2: email.replacingOccurrences(of: ".", with: " ", options: [], range: email.range(of: "."))  // a space
        default: String(email.prefix { $0 != "@" }) + "@"  // no domain
        }
    }

    struct Country {
        var code: String
        var phonePrefix: String
        var cities: [String]
    }

    static let countries = [
        Country(code: "DE", phonePrefix: "+49", cities: ["Berlin", "Hamburg", "Munich", "Cologne", "Leipzig"]),
        Country(code: "US", phonePrefix: "+1", cities: ["New York", "Chicago", "Austin", "Seattle", "Boston"]),
        Country(code: "GB", phonePrefix: "+44", cities: ["London", "Manchester", "Leeds", "Bristol"]),
        Country(code: "FR", phonePrefix: "+33", cities: ["Paris", "Lyon", "Marseille", "Lille"]),
        Country(code: "NL", phonePrefix: "+31", cities: ["Amsterdam", "Utrecht", "Rotterdam"]),
        Country(code: "ES", phonePrefix: "+34", cities: ["Madrid", "Barcelona", "Valencia"]),
        Country(code: "IT", phonePrefix: "+39", cities: ["Milan", "Rome", "Turin"]),
        Country(code: "AT", phonePrefix: "+43", cities: ["Vienna", "Graz"]),
        Country(code: "CH", phonePrefix: "+41", cities: ["Zurich", "Basel", "Geneva"]),
        Country(code: "SE", phonePrefix: "+46", cities: ["Stockholm", "Gothenburg"]),
        Country(code: "PL", phonePrefix: "+48", cities: ["Warsaw", "Krakow"]),
        Country(code: "CA", phonePrefix: "+1", cities: ["Toronto", "Montreal", "Vancouver"]),
    ]
    static let countryWeights = [20, 25, 12, 9, 5, 6, 6, 3, 3, 3, 3, 5]

    static let firstNames = [
        "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Isaac", "Julia", "Karl", "Lena", "Max",
        "Nora", "Oscar", "Paula", "Quentin", "Rosa", "Sophie", "Tom", "Ursula", "Victor", "Wanda", "Xavier", "Yara", "Zoe",
        "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Mateo", "Isabella", "Elias", "Amelia", "Leon", "Charlotte",
        "Hugo", "Alice", "Louis", "Chloe", "Marco", "Giulia", "Pablo", "Lucia", "Jan", "Zofia", "Erik", "Astrid",
    ]
    static let lastNames = [
        "Smith", "Johnson", "Brown", "Miller", "Davis", "Garcia", "Martin", "Müller", "Schmidt", "Schneider", "Fischer",
        "Weber", "Meyer", "Wagner", "Becker", "Dubois", "Moreau", "Laurent", "Rossi", "Russo", "Bianchi", "Fernández",
        "López", "Martínez", "de Vries", "Jansen", "Bakker", "Nowak", "Kowalski", "Andersson", "Johansson", "Wilson",
        "Taylor", "Thomas", "Moore", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green",
    ]
    /// The names as they appear in email addresses: lower-case ASCII, no spaces ("Müller" is "muller").
    static let emailNames = (first: firstNames.map(emailForm), last: lastNames.map(emailForm))

    static func emailForm(_ name: String) -> String {
        name.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).replacingOccurrences(of: " ", with: "")
    }

    static let domains = ["example.com", "example.org", "example.net", "mail.example", "shop.example"]
}

/// SplitMix64: small, fast and the same on every machine, so every demo holds the same people.
struct DemoRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// An index chosen with the given weights.
    mutating func weighted(_ weights: [Int]) -> Int {
        var pick = below(weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            if pick < weight { return index }
            pick -= weight
        }
        return weights.count - 1
    }
}
