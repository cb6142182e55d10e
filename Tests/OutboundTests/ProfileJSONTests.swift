import Foundation
import Testing

@testable import Store

/// A profile's stored attributes are read by `ProfileJSON`, and by Foundation only when it declines: both read
/// every value alike (strings with their escapes, numbers as NSNumber writes them, booleans, nulls left out).
@Suite struct ProfileJSONTests {
    static let objects = [
        #"{}"#, #" { } "#,
        #"{"a1":"x\u00e9\"y\\\/\b\f\n\r\t","a2":"\ud83d\ude00","a8":141.74,"a9":false,"a10":true,"a11":3,"a12":1e21}"#,
        #"{"a13":-0.5,"a14":12345678901234567890,"a15":0.1,"a16":1.0,"a17":1E+23,"a18":2.5e-8,"a19":-7,"a20":9007199254740993}"#,
        #"{"a21":-0,"a22":0,"a23":null,"a24":123456789012345678,"a25":-123456789012345678,"a26":1234567890123456789}"#,
        #"{"a1":1.0,"a2":0.0001,"a3":99999999999999.9,"a4":1999115263819930.0,"a5":-2.50,"a6":0.00001}"#,
        #"{"b1":"x","a":"y","a+5":"z","a05":"w"}"#, #"{"a1":{"x":1}}"#, #"{"a1":[1]}"#, #"{"a1":"x","a1":"y"}"#,
        #"{"a1":"\ud800"}"#, #"{"a1":"x""#, #"{"a1":"x",}"#, "{\"a1\":\"a\u{1}\"}", #"{"a1":"x"} x"#, #"[1]"#,
        #"{"a1":01}"#, #"{"a1":1.}"#, #"{"a1":"é€😀"}"#, "",
        #"{"a1":"margaret.smithjr..0@example.com","a2":"Margaret","a3":"Smith, Jr.","a6":null,"a8":141.74,"a9":false}"#,
    ]

    @Test(arguments: objects) func readsAsFoundationDoes(_ text: String) {
        #expect((ProfileJSON.values(text) ?? ProfileRow.foundationValues(text)) == ProfileRow.foundationValues(text))
    }

    @Test func readsWhatTheImporterWritesWithoutFoundation() {
        #expect(
            ProfileJSON.values(Self.objects.last!) == [
                1: "margaret.smithjr..0@example.com", 2: "Margaret", 3: "Smith, Jr.", 8: "141.74", 9: "0",
            ]
        )
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let number = (Double.random(in: -1e6...1e6, using: &generator) * 100).rounded() / 100
            let text = #"{"a1":\#(number)}"#
            #expect(ProfileJSON.values(text) == ProfileRow.foundationValues(text), "\(text)")
        }
    }
}
