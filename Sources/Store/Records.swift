import Bioprocess
import Foundation
import Manufacturing
import SQLKit

// MARK: - Recipes

extension GMPStore {
    static func recipeRecord(_ row: any SQLRow) throws -> RecipeRecord {
        RecipeRecord(
            id: try row.decode(column: "id", as: String.self), version: try row.decode(column: "version", as: Int.self),
            status: try row.decodeEnum(column: "status", as: RecipeStatus.self),
            recipe: try JSONDecoder().decode(MasterRecipe.self, from: Data(try row.decode(column: "definition", as: String.self).utf8)))
    }

    /// Stores a generated master recipe as the next draft version of its product.
    public func createRecipe(_ user: User, _ recipe: MasterRecipe) async throws -> RecipeRecord {
        try require(user, .createRecipe)
        try Self.requireText(recipe.product, "the product")
        guard !recipe.phases.isEmpty else { throw GMPError(.invalid, "a recipe needs at least one phase") }
        let json = String(decoding: try JSONEncoder().encode(recipe), as: UTF8.self)
        let at = now()
        return try await connection.transaction { db in
            let last = try await db.raw("SELECT MAX(version) AS v FROM recipes WHERE product = \(bind: recipe.product)").first()
            let version = (try last?.decode(column: "v", as: Int?.self) ?? 0) + 1
            let record = RecipeRecord(id: Self.newID("recipe"), version: version, status: .draft, recipe: recipe)
            try await self.sealed(db, "recipes",
                """
                INSERT INTO recipes (id, product, version, status, definition, created_by, created_at)
                VALUES (\(bind: record.id), \(bind: recipe.product), \(bind: version), 'draft', \(bind: json), \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .create, entity: "recipe", id: record.id, field: "version", new: "\(recipe.product) v\(version)", at: at)
            return record
        }
    }

    /// QA approves a draft recipe (signed); the product's earlier approved version becomes obsolete.
    public func approveRecipe(_ user: User, id: String, password: String, code: String? = nil) async throws -> RecipeRecord {
        try require(user, .approveRecipe)
        let at = now()
        let ticket = try await self.verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            var record = try await self.recipeRecord(db, id)
            let author = try await db.raw("SELECT created_by FROM recipes WHERE id = \(bind: id)").first()?
                .decode(column: "created_by", as: String.self) ?? ""
            if let refusal = RecipeRules.approve(status: record.status, author: author, approver: user) { throw refusal }
            _ = try await self.sign(db, ticket, meaning: .approved, entity: "recipe", id: id, at: at)
            let previous = try await db.raw(
                "SELECT id FROM recipes WHERE product = \(bind: record.recipe.product) AND status = 'approved'"
            ).all().map { try $0.decode(column: "id", as: String.self) }
            for old in previous {
                try await self.sealed(db, "recipes", "UPDATE recipes SET status = 'obsolete' WHERE id = \(bind: old)", by: user.id, at: at)
                try await self.audit(db, user: user.id, action: .update, entity: "recipe", id: old, field: "status", old: "approved", new: "obsolete", reason: "superseded by \(id)", at: at)
            }
            try await self.sealed(db, "recipes", "UPDATE recipes SET status = 'approved' WHERE id = \(bind: id)", by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "recipe", id: id, field: "status", old: "draft", new: "approved", at: at)
            record.status = .approved
            return record
        }
    }

    /// A stored recipe, or `notFound`.
    func recipeRecord(_ db: any SQLDatabase, _ id: String) async throws -> RecipeRecord {
        guard let row = try await db.raw("SELECT * FROM recipes WHERE id = \(bind: id)").first() else {
            throw GMPError(.notFound, "no recipe \(id)")
        }
        return try Self.recipeRecord(row)
    }

    public func recipe(_ user: User, id: String) async throws -> RecipeRecord {
        try require(user, .readRecords)
        return try await connection.read { db in try await self.recipeRecord(db, id) }
    }

    public func recipes(_ user: User) async throws -> [RecipeRecord] {
        try require(user, .readRecords)
        return try await connection.read { db in try await db.raw("SELECT * FROM recipes ORDER BY product, version").all().map(Self.recipeRecord) }
    }
}

// MARK: - Materials

extension GMPStore {
    static func lot(_ row: any SQLRow) throws -> MaterialLot {
        MaterialLot(
            id: try row.decode(column: "id", as: String.self), item: try row.decode(column: "item", as: String.self),
            supplier: try row.decode(column: "supplier", as: String.self), supplierLot: try row.decode(column: "supplier_lot", as: String.self),
            quantity: try row.decode(column: "quantity", as: Double.self), remaining: try row.decode(column: "remaining", as: Double.self),
            expiry: try row.decode(column: "expiry", as: String.self), retest: try row.decode(column: "retest", as: String?.self),
            status: try row.decodeEnum(column: "status", as: MaterialStatus.self))
    }

    public func defineItem(_ user: User, code: String, name: String, unit: String) async throws -> MaterialItem {
        try require(user, .defineMaterial)
        guard code.range(of: "^[A-Z0-9][A-Z0-9:._ -]{0,79}$", options: .regularExpression) != nil else {
            throw GMPError(.invalid, "item code '\(code)' must be 1–80 upper-case letters, digits, ':', '.', '_', '-' or spaces")
        }
        try Self.requireText(name, "the item's name")
        try Self.requireText(unit, "the item's unit", max: 20)
        let at = now()
        return try await connection.transaction { db in
            if try await db.raw("SELECT code FROM material_items WHERE code = \(bind: code)").first() != nil {
                throw GMPError(.conflict, "item \(code) exists")
            }
            try await self.sealed(db, "material_items", "INSERT INTO material_items (code, name, unit) VALUES (\(bind: code), \(bind: name), \(bind: unit))", by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .create, entity: "item", id: code, field: "name", new: name, at: at)
            return MaterialItem(code: code, name: name, unit: unit)
        }
    }

    /// A supplier lot received into quarantine.
    public func receiveLot(
        _ user: User, item: String, supplier: String, supplierLot: String, quantity: Double, expiry: String, retest: String? = nil
    ) async throws -> MaterialLot {
        try require(user, .receiveMaterial)
        try Self.requireText(supplier, "the supplier")
        try Self.requireText(supplierLot, "the supplier's lot number", max: 100)
        try Self.requireNumber(quantity, "the quantity received", positive: true)
        guard Self.isDate(expiry) else { throw GMPError(.invalid, "expiry '\(expiry)' is not a date written YYYY-MM-DD") }
        if let retest {
            guard Self.isDate(retest) else { throw GMPError(.invalid, "retest '\(retest)' is not a date written YYYY-MM-DD") }
            guard retest <= expiry else { throw GMPError(.invalid, "the retest date \(retest) is after the expiry \(expiry)") }
        }
        let at = now()
        return try await connection.transaction { db in
            guard try await db.raw("SELECT code FROM material_items WHERE code = \(bind: item)").first() != nil else {
                throw GMPError(.notFound, "no material item \(item): define it first")
            }
            let lot = MaterialLot(
                id: Self.newID("lot"), item: item, supplier: supplier, supplierLot: supplierLot, quantity: quantity, remaining: quantity,
                expiry: expiry, retest: retest, status: .quarantine)
            try await self.sealed(db, "material_lots",
                """
                INSERT INTO material_lots (id, item, supplier, supplier_lot, quantity, remaining, expiry, retest, status, received_at)
                VALUES (\(bind: lot.id), \(bind: item), \(bind: supplier), \(bind: supplierLot), \(bind: quantity), \(bind: quantity),
                \(bind: expiry), \(bind: retest), 'quarantine', \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .receive, entity: "lot", id: lot.id, field: "status", new: "quarantine", reason: "\(item) from \(supplier) lot \(supplierLot)", at: at)
            return lot
        }
    }

    static func isDate(_ s: String) -> Bool { Day.isValid(s) }

    func lot(_ db: any SQLDatabase, _ id: String) async throws -> MaterialLot {
        guard let row = try await db.raw("SELECT * FROM material_lots WHERE id = \(bind: id)").first() else {
            throw GMPError(.notFound, "no material lot \(id)")
        }
        return try Self.lot(row)
    }

    func setLotStatus(_ db: any SQLDatabase, _ lot: MaterialLot, _ status: MaterialStatus, user: User, reason: String?, at: String) async throws {
        try await sealed(db, "material_lots", "UPDATE material_lots SET status = \(bind: status.rawValue) WHERE id = \(bind: lot.id)", by: user.id, at: at)
        try await audit(db, user: user.id, action: .update, entity: "lot", id: lot.id, field: "status", old: lot.status.rawValue, new: status.rawValue, reason: reason, at: at)
    }

    /// QA releases (if its tests passed) or rejects a lot, with a signature.
    public func decideLot(
        _ user: User, id: String, release: Bool, reason: String, password: String, code: String? = nil
    ) async throws -> MaterialLot {
        try require(user, .decideMaterial)
        try Self.requireReason(reason)
        let at = now()
        let ticket = try await self.verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            var lot = try await self.lot(db, id)
            var tests: [(test: String, passed: Bool?)] = []
            for s in try await db.raw("SELECT * FROM samples WHERE material_lot = \(bind: id)").all().map(Self.sample) {
                let latest = try await db.raw("SELECT * FROM results WHERE sample_id = \(bind: s.id) ORDER BY at DESC LIMIT 1").first()
                tests.append((s.test, try latest.map { try $0.decode(column: "pass", as: Int.self) == 1 }))
            }
            if let refusal = MaterialRules.decide(lot, release: release, tests: tests, today: self.today()) { throw refusal }
            let recall = lot.status == .released && !release
            _ = try await self.sign(db, ticket, meaning: release ? .released : .reviewed, entity: "lot", id: id, at: at)
            try await self.setLotStatus(db, lot, release ? .released : .rejected, user: user, reason: reason, at: at)
            if recall {
                // Every batch that used the lot goes on hold with a recall deviation, which
                // blocks its release until QA closes it.
                let used = try await db.raw(
                    """
                    SELECT DISTINCT b.id, b.status FROM batch_entries e JOIN batches b ON b.id = e.batch_id
                    WHERE e.material_lot = \(bind: id) ORDER BY b.id
                    """
                ).all().map { (batch: try $0.decode(column: "id", as: String.self), status: try $0.decodeEnum(column: "status", as: BatchStatus.self)) }
                let (holds, deviations) = MaterialRules.recall(lot, reason: reason, used: used)
                for (batch, status) in holds {
                    let was = used.first { $0.batch == batch }!
                    try await self.setBatchStatus(
                        db, Batch(id: batch, recipeID: "", product: "", status: was.status), status, by: user, action: .hold,
                        reason: "material lot \(id) was recalled", at: at)
                }
                for d in deviations { _ = try await self.openDeviation(db, user: user, d, at: at) }
            }
            lot.status = release ? .released : .rejected
            return lot
        }
    }

    /// QA sets a new retest date after a passing retest (signed): later than today, within the
    /// expiry, and a result passing since the retest came due.
    public func setRetest(
        _ user: User, lot id: String, until date: String, reason: String, password: String, code: String? = nil
    ) async throws -> MaterialLot {
        try require(user, .decideMaterial)
        try Self.requireReason(reason)
        guard Self.isDate(date) else { throw GMPError(.invalid, "retest '\(date)' is not a date written YYYY-MM-DD") }
        let at = now()
        let ticket = try await self.verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            var lot = try await self.lot(db, id)
            let latestPass = try await db.raw(
                """
                SELECT MAX(r.at) AS at FROM results r JOIN samples s ON s.id = r.sample_id
                WHERE s.material_lot = \(bind: id) AND r.pass = 1
                """
            ).first()?.decode(column: "at", as: String?.self)
            if let refusal = MaterialRules.retest(lot, until: date, latestPass: latestPass, today: String(at.prefix(10))) {
                throw refusal
            }
            _ = try await self.sign(db, ticket, meaning: .approved, entity: "lot", id: id, at: at)
            try await self.sealed(db, "material_lots", "UPDATE material_lots SET retest = \(bind: date) WHERE id = \(bind: id)", by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "lot", id: id, field: "retest", old: lot.retest, new: date, reason: reason, at: at)
            lot.retest = date
            return lot
        }
    }

    public func lot(_ user: User, id: String) async throws -> MaterialLot {
        try require(user, .readRecords)
        return try await connection.read { db in try await self.lot(db, id) }
    }

    public func lots(_ user: User) async throws -> [MaterialLot] {
        try require(user, .readRecords)
        return try await connection.read { db in try await db.raw("SELECT * FROM material_lots ORDER BY received_at").all().map(Self.lot) }
    }
}

// MARK: - Batches

extension GMPStore {
    static func batch(_ row: any SQLRow) throws -> Batch {
        Batch(
            id: try row.decode(column: "id", as: String.self), recipeID: try row.decode(column: "recipe_id", as: String.self),
            product: try row.decode(column: "product", as: String.self),
            status: try row.decodeEnum(column: "status", as: BatchStatus.self))
    }

    static func entry(_ row: any SQLRow) throws -> BatchEntry {
        BatchEntry(
            id: try row.decode(column: "id", as: String.self), batchID: try row.decode(column: "batch_id", as: String.self),
            phaseID: try row.decode(column: "phase_id", as: String.self),
            kind: try row.decodeEnum(column: "kind", as: EntryKind.self),
            parameter: try row.decode(column: "parameter", as: String?.self), value: try row.decode(column: "value", as: Double?.self),
            inRange: try row.decode(column: "in_range", as: Int?.self).map { $0 != 0 },
            materialLot: try row.decode(column: "material_lot", as: String?.self), quantity: try row.decode(column: "quantity", as: Double?.self),
            equipment: try row.decode(column: "equipment", as: String?.self), corrects: try row.decode(column: "corrects", as: String?.self),
            reason: try row.decode(column: "reason", as: String?.self), userID: try row.decode(column: "user_id", as: String.self),
            at: try row.decode(column: "at", as: String.self))
    }

    /// A new batch (lot) from an approved recipe.
    public func createBatch(_ user: User, recipeID: String) async throws -> Batch {
        try require(user, .createBatch)
        let at = now()
        return try await connection.transaction { db in
            let record = try await self.recipeRecord(db, recipeID)
            guard record.status == .approved else {
                throw GMPError(.conflict, "recipe \(recipeID) is \(record.status.rawValue): only an approved recipe can make a batch")
            }
            let year = String(at.prefix(4))
            let count = try await db.raw("SELECT COUNT(*) AS n FROM batches WHERE id LIKE \(bind: "B-\(year)-%")").first()!.decode(column: "n", as: Int.self)
            let id = "B-\(year)-\(String(format: "%04d", count + 1))"
            try await self.sealed(db, "batches",
                """
                INSERT INTO batches (id, recipe_id, product, status, created_by, created_at)
                VALUES (\(bind: id), \(bind: recipeID), \(bind: record.recipe.product), 'in-progress', \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .create, entity: "batch", id: id, field: "recipe", new: "\(record.recipe.product) v\(record.version)", at: at)
            return Batch(id: id, recipeID: recipeID, product: record.recipe.product, status: .inProgress)
        }
    }

    /// The batch, its recipe, and its entries: all of them, or (`phase:` given) only the phase
    /// completions and verifications plus that phase's entries — what the rules need, without
    /// reading a long record on every write.
    func load(_ db: any SQLDatabase, batch id: String, all: Bool = true, phase: String? = nil) async throws
        -> (Batch, MasterRecipe, [BatchEntry])
    {
        // The writer keeps the batches it writes (their completions and verifications, and
        // the entries of the phases it wrote).
        if !all, let session = db as? WriteSession {
            var kept: WriteSession.KeptBatch
            if let k = session.keptBatch(id) {
                kept = k
            } else {
                let (batch, _, control) = try await loadStored(session, batch: id, all: false)
                kept = WriteSession.KeptBatch(batch: batch, control: control, phases: [:])
                session.keep(kept)
            }
            var entries = kept.control
            if let phase {
                if let mine = kept.phases[phase] {
                    entries += mine
                } else {
                    let mine = try await db.raw(
                        """
                        SELECT * FROM batch_entries WHERE batch_id = \(bind: id) AND phase_id = \(bind: phase)
                        AND kind NOT IN ('completion', 'verification') ORDER BY at, id
                        """
                    ).all().map(Self.entry)
                    session.keep(mine, batch: id, phase: phase)
                    entries += mine
                }
            }
            return (kept.batch, try await recipeDefinition(db, kept.batch.recipeID), entries)
        }
        return try await loadStored(db, batch: id, all: all, phase: phase)
    }

    private func loadStored(_ db: any SQLDatabase, batch id: String, all: Bool, phase: String? = nil) async throws
        -> (Batch, MasterRecipe, [BatchEntry])
    {
        if all {
            guard let row = try await db.raw("SELECT * FROM batches WHERE id = \(bind: id)").first() else {
                throw GMPError(.notFound, "no batch \(id)")
            }
            let batch = try Self.batch(row)
            let recipe = try await recipeDefinition(db, batch.recipeID)
            let entries = try await db.raw("SELECT * FROM batch_entries WHERE batch_id = \(bind: id) ORDER BY at, id").all().map(Self.entry)
            return (batch, recipe, entries)
        }
        // One statement, two index look-ups (not a scan of the whole record): the batch with
        // its completions and verifications, and the phase's own entries.
        var entriesQuery: SQLQueryString =
            "SELECT * FROM batch_entries WHERE batch_id = \(bind: id) AND kind IN ('completion', 'verification')"
        if let phase {
            entriesQuery = entriesQuery + """
                 UNION ALL SELECT * FROM batch_entries WHERE batch_id = \(bind: id) AND phase_id = \(bind: phase)
                AND kind NOT IN ('completion', 'verification')
                """
        }
        let rows = try await db.raw(
            "SELECT b.id AS b_id, b.recipe_id AS b_recipe_id, b.product AS b_product, b.status AS b_status, e.* FROM batches b LEFT JOIN ("
                + entriesQuery + ") e ON 1 = 1 WHERE b.id = \(bind: id)"
        ).all()
        guard let first = rows.first else { throw GMPError(.notFound, "no batch \(id)") }
        let batch = Batch(
            id: try first.decode(column: "b_id", as: String.self), recipeID: try first.decode(column: "b_recipe_id", as: String.self),
            product: try first.decode(column: "b_product", as: String.self),
            status: try first.decodeEnum(column: "b_status", as: BatchStatus.self))
        let recipe = try await recipeDefinition(db, batch.recipeID)
        let entries = try rows.filter { try $0.decode(column: "id", as: String?.self) != nil }.map(Self.entry)
            .sorted { ($0.at, $0.id) < ($1.at, $1.id) }
        return (batch, recipe, entries)
    }

    /// A recipe's definition; definitions never change once stored, so they are kept decoded.
    func recipeDefinition(_ db: any SQLDatabase, _ id: String) async throws -> MasterRecipe {
        if let cached = recipeCache.get(id) { return cached }
        let recipe = try await recipeRecord(db, id).recipe
        recipeCache.set(id, recipe)
        return recipe
    }

    /// The batch as the rules see it (see ``load(_:batch:all:phase:)``).
    func state(_ db: any SQLDatabase, batch id: String, all: Bool = true, phase: String? = nil) async throws -> BatchState {
        let (batch, recipe, entries) = try await load(db, batch: id, all: all, phase: phase)
        return BatchState(batch: batch, recipe: recipe, entries: entries)
    }

    /// Stores what a batch rule decided: the entry, the batch's new status, the deviation.
    func apply(_ db: any SQLDatabase, _ change: BatchChange, state: BatchState, by user: User, at: String) async throws -> Deviation? {
        try await insert(db, change.entry)
        if let status = change.status {
            try await setBatchStatus(db, state.batch, status, by: user, action: .update, reason: nil, at: at)
        }
        guard let d = change.deviation else { return nil }
        return try await openDeviation(db, user: user, d, at: at)
    }

    func setBatchStatus(
        _ db: any SQLDatabase, _ batch: Batch, _ status: BatchStatus, by user: User, action: AuditAction, reason: String?, at: String
    ) async throws {
        try await sealed(db, "batches", "UPDATE batches SET status = \(bind: status.rawValue) WHERE id = \(bind: batch.id)", by: user.id, at: at)
        (db as? WriteSession)?.keptStatus(batch.id, status)
        try await audit(
            db, user: user.id, action: action, entity: "batch", id: batch.id, field: "status", old: batch.status.rawValue,
            new: status.rawValue, reason: reason, at: at)
    }

    /// Appends an entry to the batch record, sealed. The writer inserts the entries of a
    /// transaction together, before any statement that reads them and before the commit.
    func insert(_ db: any SQLDatabase, _ e: BatchEntry) async throws {
        guard let session = db as? WriteSession else {
            throw StoreIntegrityError(description: "a batch entry written outside the store's writer")
        }
        try await audit(db, user: e.userID, action: .seal, entity: "batch_entries", id: e.id, new: Seals.entryHash(e), at: e.at)
        session.deferInsert(e)
        session.keptAppend(e)
    }

    /// Records a parameter value; a value out of its range opens a deviation at once.
    public func recordValue(_ user: User, batch id: String, phase phaseID: String, parameter: String, value: Double) async throws
        -> (entry: BatchEntry, deviation: Deviation?)
    {
        try require(user, .executePhase)
        let at = now()
        return try await connection.transaction { db in
            let state = try await self.state(db, batch: id, all: false, phase: phaseID)
            let change = try BatchRules.recordValue(
                state, phase: phaseID, parameter: parameter, value: value, id: Self.newID("entry"), by: Stamp(user: user, at: at)
            ).get()
            let unit = state.recipe.phase(phaseID)?.parameters.first { $0.name == parameter }?.unit ?? ""
            try await self.audit(db, user: user.id, action: .record, entity: "batch", id: id, field: "\(phaseID)/\(parameter)", new: "\(Figure.text(value)) \(unit)", at: at)
            return (change.entry, try await self.apply(db, change, state: state, by: user, at: at))
        }
    }

    /// A correction: a new entry pointing at the one it corrects, with the reason.
    public func correctEntry(_ user: User, entry entryID: String, value: Double, reason: String) async throws
        -> (entry: BatchEntry, deviation: Deviation?)
    {
        try require(user, .correctEntry)
        try Self.requireReason(reason)
        let at = now()
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM batch_entries WHERE id = \(bind: entryID)").first() else {
                throw GMPError(.notFound, "no entry \(entryID)")
            }
            let old = try Self.entry(row)
            let state = try await self.state(db, batch: old.batchID, all: false, phase: old.phaseID)
            let change = try BatchRules.correct(
                state, entry: old, value: value, reason: reason, id: Self.newID("entry"), by: Stamp(user: user, at: at)
            ).get()
            let unit = state.recipe.phase(old.phaseID)?.parameters.first { $0.name == old.parameter }?.unit ?? ""
            try await self.audit(
                db, user: user.id, action: .correct, entity: "batch", id: old.batchID, field: "\(old.phaseID)/\(old.parameter ?? "")",
                old: old.value.map { "\(Figure.text($0)) \(unit)" }, new: "\(Figure.text(value)) \(unit)", reason: reason, at: at)
            return (change.entry, try await self.apply(db, change, state: state, by: user, at: at))
        }
    }

    /// Consumes a quantity of a released, unexpired material lot of an item the phase calls for.
    public func consumeMaterial(_ user: User, batch id: String, phase phaseID: String, lot lotID: String, quantity: Double) async throws
        -> BatchEntry
    {
        try require(user, .executePhase)
        let at = now()
        return try await connection.transaction { db in
            let state = try await self.state(db, batch: id, all: false)
            let lot = try await self.lot(db, lotID)
            let change = try BatchRules.consume(
                state, phase: phaseID, lot: lot, quantity: quantity, id: Self.newID("entry"), by: Stamp(user: user, at: at)
            ).get()
            let left = lot.remaining - quantity
            try await self.sealed(db, "material_lots", "UPDATE material_lots SET remaining = \(bind: left) WHERE id = \(bind: lotID)", by: user.id, at: at)
            try await self.insert(db, change.entry)
            try await self.audit(db, user: user.id, action: .consume, entity: "lot", id: lotID, field: "remaining", old: Figure.text(lot.remaining), new: Figure.text(left), reason: "batch \(id) phase \(phaseID)", at: at)
            return change.entry
        }
    }

    public func recordEquipment(_ user: User, batch id: String, phase phaseID: String, equipment: String) async throws -> BatchEntry {
        try require(user, .executePhase)
        try Self.requireText(equipment, "the equipment's identifier", max: 100)
        let at = now()
        return try await connection.transaction { db in
            let state = try await self.state(db, batch: id, all: false)
            let change = try BatchRules.useEquipment(
                state, phase: phaseID, equipment: equipment, id: Self.newID("entry"), by: Stamp(user: user, at: at)
            ).get()
            try await self.insert(db, change.entry)
            try await self.audit(db, user: user.id, action: .record, entity: "batch", id: id, field: "\(phaseID)/equipment", new: equipment, at: at)
            return change.entry
        }
    }

    /// Completes a phase (signed "performed"): every parameter recorded and every material consumed.
    public func completePhase(_ user: User, batch id: String, phase phaseID: String, password: String) async throws -> Batch {
        try require(user, .executePhase)
        let at = now()
        let ticket = try await self.verifyPassword(user, password)
        return try await connection.transaction { db in
            let state = try await self.state(db, batch: id, all: false, phase: phaseID)
            let change = try BatchRules.complete(state, phase: phaseID, id: Self.newID("entry"), by: Stamp(user: user, at: at)).get()
            _ = try await self.sign(db, ticket, meaning: .performed, entity: "phase", id: "\(id)/\(phaseID)", at: at)
            try await self.audit(db, user: user.id, action: .complete, entity: "batch", id: id, field: "phase", new: phaseID, at: at)
            _ = try await self.apply(db, change, state: state, by: user, at: at)
            var batch = state.batch
            if let status = change.status { batch.status = status }
            return batch
        }
    }

    /// A supervisor's verification of a completed phase (signed "verified").
    public func verifyPhase(_ user: User, batch id: String, phase phaseID: String, password: String) async throws {
        try require(user, .verifyPhase)
        let at = now()
        let ticket = try await self.verifyPassword(user, password)
        try await connection.transaction { db in
            let state = try await self.state(db, batch: id, all: false)
            let change = try BatchRules.verify(state, phase: phaseID, id: Self.newID("entry"), by: Stamp(user: user, at: at)).get()
            _ = try await self.sign(db, ticket, meaning: .verified, entity: "phase", id: "\(id)/\(phaseID)", at: at)
            _ = try await self.apply(db, change, state: state, by: user, at: at)
        }
    }

    /// QA lifts a batch's hold with a reason and a signature: back to execution, or to complete.
    public func resumeBatch(_ user: User, batch id: String, reason: String, password: String) async throws -> Batch {
        try require(user, .releaseBatch)
        try Self.requireReason(reason)
        let at = now()
        let ticket = try await self.verifyPassword(user, password)
        return try await connection.transaction { db in
            let state = try await self.state(db, batch: id, all: false)
            let status = try BatchRules.resume(state, reason: reason).get()
            _ = try await self.sign(db, ticket, meaning: .reviewed, entity: "batch", id: id, at: at)
            try await self.setBatchStatus(db, state.batch, status, by: user, action: .resume, reason: reason, at: at)
            var batch = state.batch
            batch.status = status
            return batch
        }
    }

    public func batch(_ user: User, id: String) async throws -> (batch: Batch, entries: [BatchEntry]) {
        try require(user, .readRecords)
        return try await connection.read { db in
            let (b, _, e) = try await self.load(db, batch: id)
            return (b, e)
        }
    }
}

// MARK: - QC, deviations, release

extension GMPStore {
    static func sample(_ row: any SQLRow) throws -> QCSample {
        QCSample(
            id: try row.decode(column: "id", as: String.self), batchID: try row.decode(column: "batch_id", as: String?.self),
            materialLot: try row.decode(column: "material_lot", as: String?.self), test: try row.decode(column: "test", as: String.self),
            panel: try row.decodeOptionalEnum(column: "panel", as: ReleasePanel.self),
            specification: try Self.specification(row), status: try row.decodeEnum(column: "status", as: SampleStatus.self))
    }

    /// A sample's specification from its four columns; columns that make none were changed
    /// behind the application's back.
    static func specification(_ row: any SQLRow) throws -> QCSpecification? {
        let made = QCSpecification.from(
            low: try row.decode(column: "low", as: Double?.self), high: try row.decode(column: "high", as: Double?.self),
            unit: try row.decode(column: "unit", as: String?.self), criterion: try row.decode(column: "criterion", as: String?.self))
        switch made {
        case .success(let spec): return spec
        case .failure(let e): throw StoreIntegrityError(description: "a sample's specification cannot be read: \(e)")
        }
    }

    static func result(_ row: any SQLRow) throws -> QCResult {
        QCResult(
            id: try row.decode(column: "id", as: String.self), sampleID: try row.decode(column: "sample_id", as: String.self),
            value: try row.decode(column: "value", as: Double?.self), pass: try row.decode(column: "pass", as: Int.self) != 0,
            analystID: try row.decode(column: "analyst_id", as: String.self), at: try row.decode(column: "at", as: String.self),
            reason: try row.decode(column: "reason", as: String?.self))
    }

    static func deviation(_ row: any SQLRow) throws -> Deviation {
        Deviation(
            id: try row.decode(column: "id", as: String.self), batchID: try row.decode(column: "batch_id", as: String?.self),
            sampleID: try row.decode(column: "sample_id", as: String?.self), kind: try row.decodeEnum(column: "kind", as: DeviationKind.self),
            description: try row.decode(column: "description", as: String.self),
            status: try row.decodeEnum(column: "status", as: DeviationStatus.self),
            classification: try row.decodeOptionalEnum(column: "classification", as: DeviationClass.self),
            rootCause: try row.decode(column: "root_cause", as: String?.self), openedBy: try row.decode(column: "opened_by", as: String.self),
            openedAt: try row.decode(column: "opened_at", as: String.self), alarmID: try row.decode(column: "alarm_id", as: String?.self))
    }

    /// A QC sample of a batch or a material lot. A release-panel sample (`panel`) and a sample the
    /// recipe specifies take their specification from the batch's approved recipe, and a client
    /// may not send another; any other sample carries the client's: a range (`low`, `high`,
    /// `unit`) or pass/fail (with an optional `criterion`).
    public func createSample(
        _ user: User, batch: String?, materialLot: String?, test: String, panel: ReleasePanel? = nil,
        specification given: QCSpecification? = nil
    ) async throws -> QCSample {
        try require(user, materialLot != nil ? .sampleMaterial : .createSample)
        try Self.requireText(test, "the test's name", max: 200)
        guard (batch == nil) != (materialLot == nil) else { throw GMPError(.invalid, "a sample is of one batch or one material lot") }
        if let given {
            // The same checks as the four fields it is stored as.
            if case .failure(let e) = QCSpecification.from(low: given.low, high: given.high, unit: given.unit, criterion: given.criterion) {
                throw GMPError(.invalid, e.description, details: e.problems.count > 1 ? e.problems : [])
            }
        }
        if panel != nil && batch == nil { throw GMPError(.invalid, "a release-panel sample is of a batch, not of a material lot") }
        let at = now()
        return try await connection.transaction { db in
            var spec = given
            if let batch {
                let (_, recipe, _) = try await self.load(db, batch: batch, all: false)
                spec = try SampleRules.specification(recipe: recipe, test: test, panel: panel, given: given).get()
            }
            if let materialLot {
                let lot = try await self.lot(db, materialLot)
                // A test of the item's specification takes the item's limits, and no other.
                if let row = try await db.raw("SELECT * FROM item_tests WHERE item = \(bind: lot.item) AND test = \(bind: test)").first() {
                    let mine = try Self.itemTest(row).specification
                    if given != nil && given != mine {
                        throw GMPError(.invalid, "test '\(test)' of item \(lot.item) is specified as \(try Self.itemTest(row).specificationText): send no other specification")
                    }
                    spec = mine
                }
                if lot.status == .quarantine { try await self.setLotStatus(db, lot, .sampled, user: user, reason: "sampled for \(test)", at: at) }
            }
            let s = QCSample(
                id: Self.newID("sample"), batchID: batch, materialLot: materialLot, test: test, panel: panel, specification: spec,
                status: .pending)
            try await self.sealed(db, "samples",
                """
                INSERT INTO samples (id, batch_id, material_lot, test, panel, low, high, unit, criterion, status, created_by, created_at)
                VALUES (\(bind: s.id), \(bind: batch), \(bind: materialLot), \(bind: test), \(bind: panel?.rawValue), \(bind: spec?.low),
                \(bind: spec?.high), \(bind: spec?.unit), \(bind: spec?.criterion), 'pending', \(bind: user.id), \(bind: at))
                """, by: user.id, at: at)
            try await self.audit(
                db, user: user.id, action: .create, entity: "sample", id: s.id, field: "test",
                new: "\(panel.map { "\($0.title): " } ?? "")\(test) (\(s.specificationText))", reason: batch ?? materialLot, at: at)
            return s
        }
    }

    /// A QC analyst's result: a value against the range, or pass/fail. Out of specification opens
    /// an investigation (an `oos` deviation).
    /// A QC result against the sample's specification (``SampleRules``): a second result on a
    /// sample is a repeat, needs a reason and keeps the first; an out-of-specification result
    /// opens an OOS deviation.
    public func recordResult(
        _ user: User, sample id: String, value: Double?, pass: Bool?, reason: String? = nil
    ) async throws -> (result: QCResult, deviation: Deviation?) {
        try require(user, .recordResult)
        if let reason { try Self.requireReason(reason) }
        let at = now()
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM samples WHERE id = \(bind: id)").first() else {
                throw GMPError(.notFound, "no sample \(id)")
            }
            let sample = try Self.sample(row)
            let previous = try await db.raw("SELECT COUNT(*) AS n FROM results WHERE sample_id = \(bind: id)").first()?
                .decode(column: "n", as: Int.self) ?? 0
            let decision = try SampleRules.result(
                for: sample, previousResults: previous, value: value, pass: pass, reason: reason
            ).get()
            let passed = decision.passed
            let r = QCResult(id: Self.newID("result"), sampleID: id, value: value, pass: passed, analystID: user.id, at: at, reason: reason)
            try await self.sealed(db, "results",
                "INSERT INTO results (id, sample_id, value, pass, analyst_id, at, reason) VALUES (\(bind: r.id), \(bind: id), \(bind: value), \(bind: passed ? 1 : 0), \(bind: user.id), \(bind: at), \(bind: reason))"
            , by: user.id, at: at)
            try await self.holdIfReleased(db, batch: sample.batchID, user: user, reason: "a QC result was entered after release", at: at)
            try await self.sealed(db, "samples", "UPDATE samples SET status = \(bind: (passed ? SampleStatus.passed : .failed).rawValue) WHERE id = \(bind: id)", by: user.id, at: at)
            try await self.audit(
                db, user: user.id, action: decision.isRepeat ? .repeatResult : .result, entity: "sample", id: id,
                field: sample.test, old: sample.status.rawValue,
                new: value.map { "\(Figure.text($0)) \(sample.specification?.unit ?? "")" } ?? (passed ? "pass" : "fail"), reason: reason, at: at)
            var deviation: Deviation?
            if !passed {
                deviation = try await self.openDeviation(
                    db, user: user,
                    DeviationToOpen(
                        kind: .oos, batchID: sample.batchID, sampleID: id,
                        description: "out of specification: \(sample.test) = \(value.map { Figure.text($0) } ?? "fail"), specification \(sample.specificationText)"),
                    at: at)
            }
            return (r, deviation)
        }
    }

    /// A released batch goes back on hold for QA when something about it changes afterwards.
    func holdIfReleased(_ db: any SQLDatabase, batch id: String?, user: User, reason: String, at: String) async throws {
        guard let id, let row = try await db.raw("SELECT * FROM batches WHERE id = \(bind: id)").first() else { return }
        let batch = try Self.batch(row)
        guard batch.status == .released, let held = BatchRules.hold(batch.status) else { return }
        try await setBatchStatus(db, batch, held, by: user, action: .hold, reason: reason, at: at)
    }

    func openDeviation(_ db: any SQLDatabase, user: User, _ new: DeviationToOpen, at: String) async throws -> Deviation {
        try await holdIfReleased(db, batch: new.batchID, user: user, reason: "a deviation was opened after release", at: at)
        let d = Deviation(
            id: Self.newID("dev"), batchID: new.batchID, sampleID: new.sampleID, kind: new.kind, description: new.description,
            status: .open, openedBy: user.id, openedAt: at, alarmID: new.alarmID)
        try await sealed(db, "deviations",
            """
            INSERT INTO deviations (id, batch_id, sample_id, kind, description, status, opened_by, opened_at, alarm_id)
            VALUES (\(bind: d.id), \(bind: d.batchID), \(bind: d.sampleID), \(bind: d.kind.rawValue), \(bind: d.description), 'open',
            \(bind: user.id), \(bind: at), \(bind: d.alarmID))
            """, by: user.id, at: at)
        try await audit(db, user: user.id, action: .open, entity: "deviation", id: d.id, field: "status", new: "open", reason: d.description, at: at)
        return d
    }

    public func openDeviation(_ user: User, batch: String?, description: String) async throws -> Deviation {
        try require(user, .openDeviation)
        try Self.requireText(description, "the deviation's description", max: 4000)
        let at = now()
        return try await connection.transaction { db in
            if let batch {
                guard try await db.raw("SELECT id FROM batches WHERE id = \(bind: batch)").first() != nil else {
                    throw GMPError(.notFound, "no batch \(batch)")
                }
            }
            return try await self.openDeviation(
                db, user: user, DeviationToOpen(kind: .process, batchID: batch, description: description), at: at)
        }
    }

    /// Moves a deviation one step along open → investigation → CAPA → closed, signed; closing is QA's.
    public func advanceDeviation(
        _ user: User, id: String, to status: DeviationStatus, note: String, password: String, code: String? = nil
    ) async throws -> Deviation {
        try require(user, status == .closed ? .closeDeviation : .investigateDeviation)
        try Self.requireReason(note)
        let at = now()
        let ticket = try await self.verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            guard let row = try await db.raw("SELECT * FROM deviations WHERE id = \(bind: id)").first() else {
                throw GMPError(.notFound, "no deviation \(id)")
            }
            let was = try Self.deviation(row)
            let actions = try await self.actions(db, deviation: id)
            let d = try DeviationRules.advance(was, to: status, by: user, note: note, actions: actions).get()
            _ = try await self.sign(db, ticket, meaning: DeviationRules.meaning(of: status), entity: "deviation", id: id, at: at)
            try await self.sealed(db, "deviations", "UPDATE deviations SET status = \(bind: status.rawValue) WHERE id = \(bind: id)", by: user.id, at: at)
            try await self.audit(db, user: user.id, action: .update, entity: "deviation", id: id, field: "status", old: was.status.rawValue, new: status.rawValue, reason: note, at: at)
            return d
        }
    }

    public func deviations(_ user: User, batch: String? = nil) async throws -> [Deviation] {
        try require(user, .readRecords)
        return try await connection.read { db in
            if let batch {
                return try await db.raw("SELECT * FROM deviations WHERE batch_id = \(bind: batch) ORDER BY opened_at").all().map(Self.deviation)
            }
            return try await db.raw("SELECT * FROM deviations ORDER BY opened_at").all().map(Self.deviation)
        }
    }

    /// A batch's samples, their results and its deviations.
    func qcRecords(_ db: any SQLDatabase, batch id: String) async throws -> (samples: [QCSample], results: [QCResult], deviations: [Deviation]) {
        let samples = try await db.raw("SELECT * FROM samples WHERE batch_id = \(bind: id)").all().map(Self.sample)
        let results = try await db.raw(
            "SELECT results.* FROM results JOIN samples ON samples.id = results.sample_id WHERE samples.batch_id = \(bind: id) ORDER BY results.at"
        ).all().map(Self.result)
        let deviations = try await db.raw("SELECT * FROM deviations WHERE batch_id = \(bind: id)").all().map(Self.deviation)
        return (samples, results, deviations)
    }

    func releaseBlockers(_ db: any SQLDatabase, batch id: String) async throws -> (Batch, [String]) {
        let (batch, recipe, entries) = try await load(db, batch: id)
        let qc = try await qcRecords(db, batch: id)
        return (batch, ReleaseCheck.missing(batch: batch, recipe: recipe, entries: entries, samples: qc.samples, results: qc.results, deviations: qc.deviations))
    }

    /// What still stands between a batch and its release.
    public func releaseCheck(_ user: User, batch id: String) async throws -> [String] {
        try require(user, .readRecords)
        return try await connection.read { db in try await self.releaseBlockers(db, batch: id).1 }
    }

    /// QA releases a batch with a signature, only when every phase is complete, every required
    /// test has passed and every deviation is closed; otherwise the refusal lists what is missing.
    public func releaseBatch(_ user: User, batch id: String, password: String, code: String? = nil) async throws -> Batch {
        try require(user, .releaseBatch)
        let at = now()
        let ticket = try await self.verifyPassword(user, password, code: code)
        return try await connection.transaction { db in
            let state = try await self.state(db, batch: id)
            let qc = try await self.qcRecords(db, batch: id)
            let status = try BatchRules.release(state, samples: qc.samples, results: qc.results, deviations: qc.deviations).get()
            _ = try await self.sign(db, ticket, meaning: .released, entity: "batch", id: id, at: at)
            try await self.setBatchStatus(db, state.batch, status, by: user, action: .release, reason: nil, at: at)
            var batch = state.batch
            batch.status = status
            return batch
        }
    }
}

// MARK: - Genealogy and export

/// Where a batch came from, or where a material lot went.
public struct Genealogy: Codable, Sendable {
    public struct Consumption: Codable, Sendable {
        public var batch: String
        public var batchStatus: BatchStatus
        public var phase: String
        public var lot: String
        public var item: String
        public var supplier: String
        public var supplierLot: String
        public var quantity: Double
    }

    public struct Use: Codable, Sendable {
        public var phase: String
        public var equipment: String
    }

    public var subject: String
    public var consumptions: [Consumption]
    public var equipment: [Use]
    public var phasesCompleted: [String]
}

extension GMPStore {
    func consumptions(_ db: any SQLDatabase, where clause: SQLQueryString) async throws -> [Genealogy.Consumption] {
        try await db.raw(
            """
            SELECT e.batch_id, b.status AS batch_status, e.phase_id, e.material_lot, e.quantity, l.item, l.supplier, l.supplier_lot
            FROM batch_entries e JOIN material_lots l ON l.id = e.material_lot JOIN batches b ON b.id = e.batch_id
            WHERE e.kind = 'material' AND \(clause) ORDER BY e.at
            """
        ).all().map {
            Genealogy.Consumption(
                batch: try $0.decode(column: "batch_id", as: String.self), batchStatus: try $0.decodeEnum(column: "batch_status", as: BatchStatus.self),
                phase: try $0.decode(column: "phase_id", as: String.self), lot: try $0.decode(column: "material_lot", as: String.self),
                item: try $0.decode(column: "item", as: String.self), supplier: try $0.decode(column: "supplier", as: String.self),
                supplierLot: try $0.decode(column: "supplier_lot", as: String.self), quantity: try $0.decode(column: "quantity", as: Double.self))
        }
    }

    /// Back from a batch (its vials) to every raw-material lot, piece of equipment and step.
    public func genealogy(_ user: User, batch id: String) async throws -> Genealogy {
        try require(user, .readRecords)
        return try await connection.read { db in
            let (_, _, entries) = try await self.load(db, batch: id)
            return try await self.genealogy(db, batch: id, entries: entries)
        }
    }

    func genealogy(_ db: any SQLDatabase, batch id: String, entries: [BatchEntry]) async throws -> Genealogy {
        Genealogy(
            subject: id, consumptions: try await consumptions(db, where: "e.batch_id = \(bind: id)"),
            equipment: entries.filter { $0.kind == .equipment }.map { Genealogy.Use(phase: $0.phaseID, equipment: $0.equipment ?? "") },
            phasesCompleted: entries.filter { $0.kind == .completion }.map(\.phaseID))
    }

    /// Forward from a material lot to every batch (and its vials) that used it: the recall question.
    public func whereUsed(_ user: User, lot id: String) async throws -> Genealogy {
        try require(user, .readRecords)
        return try await connection.read { db in
            _ = try await self.lot(db, id)
            return Genealogy(subject: id, consumptions: try await self.consumptions(db, where: "e.material_lot = \(bind: id)"), equipment: [], phasesCompleted: [])
        }
    }

    /// The whole electronic batch record of one batch.
    public struct BatchRecord: Codable, Sendable {
        public var batch: Batch
        public var recipe: MasterRecipe
        public var entries: [BatchEntry]
        public var signatures: [Signature]
        public var samples: [QCSample]
        public var results: [QCResult]
        public var deviations: [Deviation]
        public var genealogy: Genealogy
        public var audit: [AuditEntry]
        public var releaseBlockers: [String]
    }

    public func batchRecord(_ user: User, batch id: String) async throws -> BatchRecord {
        try require(user, .readRecords)
        return try await connection.read { db in
            let (batch, recipe, entries) = try await self.load(db, batch: id)
            let qc = try await self.qcRecords(db, batch: id)
            let signatures = try await db.raw(
                "SELECT * FROM signatures WHERE entity_id = \(bind: id) OR entity_id LIKE \(bind: "\(id)/%") ORDER BY at"
            ).all().map(Self.signature)
            let audit = try await db.raw("SELECT * FROM audit WHERE entity = 'batch' AND entity_id = \(bind: id) ORDER BY sequence").all().map(Self.auditEntry)
            let blockers = ReleaseCheck.missing(
                batch: batch, recipe: recipe, entries: entries, samples: qc.samples, results: qc.results, deviations: qc.deviations)
            return BatchRecord(
                batch: batch, recipe: recipe, entries: entries, signatures: signatures, samples: qc.samples, results: qc.results,
                deviations: qc.deviations, genealogy: try await self.genealogy(db, batch: id, entries: entries), audit: audit,
                releaseBlockers: blockers)
        }
    }
}
