import Bioprocess
import Manufacturing
import Testing

/// The account and recipe-approval rules as tables, with no database.
struct AccountRulesTests {
    func account(_ role: Role, active: Bool = true, failed: Int) -> AccountState {
        AccountState(userID: "u", role: role, active: active, failedAuthentications: failed)
    }

    @Test(arguments: [
        // role, failures before, active administrators, → failures after, active after
        (Role.operator, 0, 1, 1, true), (.operator, 3, 1, 4, true), (.operator, 4, 1, 5, false),
        (.qa, 4, 2, 5, false), (.administrator, 4, 2, 5, false),
        // The last active administrator is never disabled, however many wrong passwords.
        (.administrator, 4, 1, 5, true), (.administrator, 40, 1, 41, true),
    ])
    func wrongPasswordsLockAnAccountButNeverTheLastAdministrator(
        role: Role, before: Int, admins: Int, after: Int, active: Bool
    ) {
        let change = AccountRules.failedAuthentication(account(role, failed: before), activeAdministrators: admins)
        #expect(change.account.failedAuthentications == after)
        #expect(change.account.active == active)
        #expect((change.disabledBecause != nil) == !active)
        #expect((change.keptActiveBecause != nil) == (role == .administrator && admins == 1 && after >= 5))
    }

    @Test func aCorrectPasswordResetsTheCount() {
        #expect(AccountRules.succeededAuthentication(account(.qa, failed: 4)).account.failedAuthentications == 0)
    }

    @Test func theLastActiveAdministratorCannotBeDisabledButOthersCan() throws {
        let last = AccountRules.setActive(account(.administrator, failed: 0), active: false, activeAdministrators: 1)
        guard case .failure(let refusal) = last else {
            Issue.record("the last administrator was disabled")
            return
        }
        #expect(refusal.kind == .conflict)
        #expect(refusal.message.contains("last active administrator"))
        let other = try AccountRules.setActive(account(.administrator, failed: 2), active: false, activeAdministrators: 2).get()
        #expect(!other.account.active)
        let back = try AccountRules.setActive(account(.operator, active: false, failed: 5), active: true, activeAdministrators: 1).get()
        #expect(back.account.active && back.account.failedAuthentications == 0)
    }

    @Test func unlockingReactivatesAndResets() {
        let change = AccountRules.unlock(account(.administrator, active: false, failed: 7))
        #expect(change.account.active && change.account.failedAuthentications == 0)
    }

    @Test(arguments: [
        (RecipeStatus.draft, "author", "approver", nil),
        (.draft, "approver", "approver", GMPError.Kind.forbidden),
        (.approved, "author", "approver", .conflict),
        (.obsolete, "approver", "approver", .forbidden),
    ] as [(RecipeStatus, String, String, GMPError.Kind?)])
    func aRecipeIsApprovedByAnotherPersonThanItsAuthor(status: RecipeStatus, author: String, approver: String, refused: GMPError.Kind?) {
        let user = User(id: approver, username: approver, fullName: "Alex QA", role: .qa, active: true)
        let refusal = RecipeRules.approve(status: status, author: author, approver: user)
        #expect(refusal?.kind == refused)
        if status != .draft && author == approver { #expect(refusal?.details.count == 2, "every reason is listed") }
    }
}
