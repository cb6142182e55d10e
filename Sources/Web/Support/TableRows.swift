// Rows written as markup once per row (see SafeHTML): the tables with the most cells and the navigation every page
// shows. Each is exactly what its template wrote before (the page snapshots hold it), values escaped the same way.

extension ProfilesController.ProfilesPage.Row: HTMLRow {
    var html: SafeHTML {
        let cells = self.cells.map { cell -> SafeHTML in
            let value = SafeHTML(escaping: cell)
            return "<td title=\"\(value)\">\(value)</td>"
        }
        return "<tr><td><a href=\"\(href)\">\(profileId)</a></td>\(cells)</tr>"
    }
}

extension ActivityController.ActivityPage.Row: HTMLRow {
    var html: SafeHTML {
        "<tr><td>\(when)</td><td>\(who)</td><td><code>\(action)</code></td><td>\(detail)</td><td>\(address)</td></tr>"
    }
}

extension Chrome.Link: HTMLRow {
    var html: SafeHTML {
        let currentPage: SafeHTML = current ? " aria-current=\"page\"" : ""
        return "<li><a href=\"\(href)\"\(currentPage)>\(label)</a></li>"
    }

    static var separator: UInt8? { nil }
}
