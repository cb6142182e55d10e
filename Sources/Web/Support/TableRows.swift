// Rows written as markup once per row (see SafeHTML): the tables with the most cells and the navigation every page
// shows. Each is exactly what its template wrote before (the page snapshots hold it), values escaped the same way.

extension ProfilesController.ProfilesPage.Row: HTMLRow {
    var html: SafeHTML {
        // Written piece by piece into one buffer: the page's 400 cells are most of its markup.
        var row = SafeHTML.StringInterpolation(literalCapacity: 64 + 48 * cells.count, interpolationCount: 2 + 2 * cells.count)
        row.appendLiteral("<tr><td><a href=\"")
        row.appendInterpolation(href)
        row.appendLiteral("\">")
        row.appendInterpolation(profileId)
        row.appendLiteral("</a></td>")
        for cell in cells {
            let value = SafeHTML(escaping: cell)
            row.appendLiteral("<td title=\"")
            row.appendInterpolation(value)
            row.appendLiteral("\">")
            row.appendInterpolation(value)
            row.appendLiteral("</td>")
        }
        row.appendLiteral("</tr>")
        return SafeHTML(stringInterpolation: row)
    }
}

extension ProfilesController.ProfilesPage.Heading: InlineHTMLRow {
    var html: SafeHTML { "<th title=\"\(name)\">\(name) <span class=\"muted\">\(type)</span></th>" }
}

extension ProfilesController.ProfilesPage.ImportRow: InlineHTMLRow {
    var html: SafeHTML { "<tr><td><a href=\"\(href)\">\(fileName)</a></td><td>\(status)</td><td>\(started)</td><td>\(counts)</td></tr>" }
}

extension ActivityController.ActivityPage.Row: HTMLRow {
    var html: SafeHTML {
        "<tr><td>\(when)</td><td>\(who)</td><td><code>\(action)</code></td><td>\(detail)</td><td>\(address)</td></tr>"
    }
}

extension ExportRunsController.RunPage.Count: InlineHTMLRow {
    var html: SafeHTML { "<tr><th>\(label)</th><td>\(value)</td></tr>" }
}

extension ExportRunsController.RunPage.ProblemRow: InlineHTMLRow {
    var html: SafeHTML { "<tr><td>\(profileId)</td><td>\(email)</td><td>\(reason)</td></tr>" }
}

extension ExportRunsController.RunPage.HistoryRow: InlineHTMLRow {
    var html: SafeHTML {
        let run: SafeHTML = current ? "<strong>\(number)</strong>" : "<a href=\"\(href)\">\(number)</a>"
        return "<tr><td>\(run)</td><td>\(status)</td><td>\(trigger)</td><td>\(queued)</td><td>\(counts)</td></tr>"
    }
}

extension Chrome.Link: InlineHTMLRow {
    var html: SafeHTML {
        let currentPage: SafeHTML = current ? " aria-current=\"page\"" : ""
        return "<li><a href=\"\(href)\"\(currentPage)>\(label)</a></li>"
    }

}
