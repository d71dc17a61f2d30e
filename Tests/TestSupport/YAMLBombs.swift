/// YAML documents built to expand or nest without bound.
public enum YAMLBombs {
    /// Ten levels of nine-fold aliases: about 3.5 × 10⁹ values once expanded, 7 KB written.
    public static let billionLaughs: String = {
        var lines = ["vectorfab: vectorfab/process/1", "lol0: &l0 [" + Array(repeating: "\"lol lol lol lol lol\"", count: 9).joined(separator: ", ") + "]"]
        for i in 1...10 {
            lines.append("lol\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 9).joined(separator: ", ") + "]")
        }
        // Padding comments bring it to the 7 KB of the reported file.
        lines += Array(repeating: "# " + String(repeating: "ha", count: 40), count: 75)
        return lines.joined(separator: "\n") + "\n"
    }()

    /// Lists nested `depth` deep in flow style: `[[[[…]]]]`.
    public static func nested(_ depth: Int) -> String {
        "vectorfab: vectorfab/process/1\nx: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
    }
}
