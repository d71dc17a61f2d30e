import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Reporting

/// The tables of a page, shown and downloaded: `?format=csv&table=<slug>` is one table as CSV
/// (UTF-8 with a byte-order mark), `?format=xlsx` every table of the page, a sheet each.
enum Tables {
    /// A table for the `table` partial: headers with units, cells as the page writes them,
    /// numbers right-aligned, and the links to download it.
    static func values(_ t: DataTable, query: String, limit: Int = 500) -> [String: Any] {
        let separator = query.isEmpty ? "?" : "?" + query + "&"
        var v: [String: Any] = [
            "name": t.name, "slug": t.slug,
            "columns": t.columns.map { ["header": $0.header, "num": isNumeric($0, in: t)] },
            "rows": t.rows.prefix(limit).map { row in
                ["cells": zip(t.columns, row).map { c, cell -> [String: Any] in
                    if case .number = cell { return ["text": c.shown(cell), "num": true] }
                    return ["text": c.shown(cell), "num": false]
                }]
            },
            "csv": separator + "format=csv&table=" + t.slug,
        ]
        if t.rows.count > limit { v["more"] = "The first \(limit) of \(Fmt.count(t.rows.count)) rows: the downloads hold them all." }
        return v
    }

    static func isNumeric(_ c: DataTable.Column, in t: DataTable) -> Bool {
        guard let i = t.columns.firstIndex(of: c) else { return false }
        return t.rows.prefix(20).contains { row in
            if i < row.count, case .number = row[i] { return true }
            return false
        }
    }

    /// The download asked for, if any: nil when the query asks for the page.
    static func download(_ request: Request, _ tables: [DataTable], name: String) throws -> Response? {
        let q = request.uri.queryParameters
        switch q.get("format") {
        case nil, "html": return nil
        case "csv":
            let slug = q.get("table") ?? tables.first?.slug ?? ""
            guard let t = tables.first(where: { $0.slug == slug }) else {
                return text("no table \(slug) on this page: one of \(tables.map(\.slug).joined(separator: ", "))", status: .badRequest)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)-\(t.slug).csv\""],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "\u{FEFF}" + t.csv())))
        case "xlsx":
            let data = try Workbook.xlsx(tables)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    .contentDisposition: "attachment; filename=\"\(name).xlsx\"",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case let other?:
            return text("format must be html, csv or xlsx, not \(other)", status: .badRequest)
        }
    }

    static func text(_ message: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    /// The page's query without `format` and `table`, for the download links.
    static func query(_ request: Request) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return request.uri.queryParameters.filter { $0.key != "format" && $0.key != "table" }
            .map { "\($0.key)=\(String($0.value).addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            .joined(separator: "&")
    }
}
