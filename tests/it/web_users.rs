//! Accounts on the desk's Users page (admins), through the real `redress web` over
//! HTTP: each form calls what `redress user add|passwd|role|disable` calls, as the
//! signed-in admin; a refusal is its one line on the page with nothing changed; every
//! change is in `redress user history`.

use crate::webkit;

use webkit::{now, web_site, Desk, Resp};

/// The password the page shows once.
fn shown_password(r: &Resp) -> String {
    let re = regex::Regex::new(r#"<code id="new-password">([^<]+)</code>"#).unwrap();
    re.captures(&r.body)
        .unwrap_or_else(|| panic!("no password shown ({}):\n{}", r.status, r.body))[1]
        .to_string()
}

/// The accounts as `redress user list --json` gives them, and the history's length:
/// what "nothing changed" compares.
fn accounts(desk: &Desk) -> (String, usize) {
    let list = desk.site.run(&now(), &["user", "list", "--json"]);
    let history: serde_json::Value =
        serde_json::from_str(&desk.site.run(&now(), &["user", "history", "--json"])).unwrap();
    (list, history.as_array().unwrap().len())
}

/// The one-line refusal shown on the page.
fn refusal(r: &Resp) -> String {
    let re = regex::Regex::new(r#"<p class="govuk-body desk-refusal">([^<]*)</p>"#).unwrap();
    re.captures(&r.body)
        .unwrap_or_else(|| panic!("no refusal ({}):\n{}", r.status, r.body))[1]
        .replace("&#39;", "'")
}

#[test]
fn an_admin_adds_an_officer_resets_their_password_changes_their_role_and_disables_them() {
    let desk = Desk::start(web_site(""), "web");
    let admin = desk.admin();
    let page = desk.get("/users", Some(&admin));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.body.contains("Add a user"), "{}", page.body);
    let csrf = page.csrf();

    // Added: the password is shown once, on the answer to the form only.
    let r = desk.post(
        "/users/add",
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "olly"),
            ("email", "olly@council.example"),
            ("role", "officer"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(
        r.body
            .contains("The account &#39;olly&#39; was added as officer."),
        "{}",
        r.body
    );
    let first = shown_password(&r);
    assert_eq!(first.len(), 20);
    let again = desk.get("/users", Some(&admin));
    assert!(again.body.contains("olly@council.example"));
    assert!(!again.body.contains(&first), "shown once only");

    // The officer signs in with it.
    let olly = desk.session("olly", &first);
    assert_eq!(desk.get("/", Some(&olly)).status, 200);
    assert_eq!(desk.get("/outbox", Some(&olly)).status, 403);

    // Reset: a new password shown once; the old one fails and olly's session is over.
    let r = desk.post(
        "/users/password",
        &admin,
        &[("csrf", &csrf), ("name", "olly")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .body
        .contains("A new password was set for &#39;olly&#39;."));
    let second = shown_password(&r);
    assert_ne!(second, first);
    let gone = desk.get("/", Some(&olly));
    assert_eq!(gone.status, 303, "the old session is signed out");
    assert_eq!(gone.header("location"), Some("/sign-in"));
    assert_eq!(desk.sign_in("olly", &first).status, 401);
    let olly = desk.session("olly", &second);

    // A manager from the next request on, the same session.
    let r = desk.post(
        "/users/role",
        &admin,
        &[("csrf", &csrf), ("name", "olly"), ("role", "manager")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/users?done=role"));
    assert!(desk
        .get("/users?done=role", Some(&admin))
        .body
        .contains("The role was changed."));
    assert_eq!(desk.get("/outbox", Some(&olly)).status, 200);

    // Disabled: the session ends and sign-in is refused.
    let r = desk.post(
        "/users/disable",
        &admin,
        &[("csrf", &csrf), ("name", "olly")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(desk.get("/", Some(&olly)).status, 303);
    assert_eq!(desk.sign_in("olly", &second).status, 401);
    let list = desk.site.run(&now(), &["user", "list"]);
    let row = list.lines().find(|l| l.starts_with("olly ")).unwrap();
    assert!(
        row.contains("manager") && row.contains("disabled"),
        "{list}"
    );

    // Never in clear: not in the log, not in the database.
    let log = desk.log();
    assert!(log.contains("web desk: account changed"), "{log}");
    let mut stored = Vec::new();
    for f in ["data/redress.db", "data/redress.db-wal"] {
        stored.extend(std::fs::read(desk.site.path().join(f)).unwrap_or_default());
    }
    assert!(!stored.is_empty());
    for p in [&first, &second] {
        assert!(!log.contains(p.as_str()), "a password in the log");
        assert!(
            !stored.windows(p.len()).any(|w| w == p.as_bytes()),
            "a password in the database"
        );
    }

    // Each change is recorded with who made it, newest first, and shown on the page.
    let history = desk.site.run(&now(), &["user", "history"]);
    let rows: Vec<&str> = history.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{history}");
    for (row, (action, detail)) in rows.iter().zip([
        ("disabled", ""),
        ("role", "officer to manager"),
        ("password", "1 session(s) ended"),
        ("added", "officer, olly@council.example"),
    ]) {
        assert!(
            row.contains("officer:admin") && row.contains(" olly ") && row.contains(action),
            "{history}"
        );
        assert!(row.contains(detail), "{history}");
    }
    assert!(rows[4].contains("first start") && rows[4].contains("admin"));
    assert!(!history.contains(&first) && !history.contains(&second));
    let page = desk.get("/users", Some(&admin));
    assert!(page.body.contains("officer to manager"), "{}", page.body);
}

#[test]
fn officers_and_managers_are_forbidden_every_users_post_and_a_missing_csrf_token_changes_nothing() {
    let desk = Desk::start(web_site(""), "web");
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    webkit::add_user(&desk.site, "max", "manager", "max's long password");
    let admin = desk.admin();
    let before = accounts(&desk);
    for (who, pw) in [
        ("ann", "ann's long password"),
        ("max", "max's long password"),
    ] {
        let s = desk.session(who, pw);
        let csrf = desk.get("/", Some(&s)).csrf();
        for (action, form) in [
            (
                "add",
                vec![
                    ("name", "eve"),
                    ("email", "eve@council.example"),
                    ("role", "admin"),
                ],
            ),
            ("disable", vec![("name", "admin")]),
            ("password", vec![("name", "admin")]),
            ("role", vec![("name", who), ("role", "admin")]),
        ] {
            let mut f = form.clone();
            f.push(("csrf", &csrf));
            let r = desk.post(&format!("/users/{action}"), &s, &f);
            assert_eq!(r.status, 403, "{who} {action}: {}", r.body);
            assert!(r.body.contains("You cannot open this page"), "{}", r.body);
            assert!(!r.body.contains("new-password"));
        }
        assert_eq!(desk.get("/users", Some(&s)).status, 403);
    }
    // The admin too, without the form's token or with another: refused.
    for csrf in [None, Some("0".repeat(64))] {
        let mut f = vec![("name", "ann")];
        if let Some(c) = &csrf {
            f.push(("csrf", c));
        }
        for action in ["disable", "password"] {
            let r = desk.post(&format!("/users/{action}"), &admin, &f);
            assert_eq!(r.status, 403, "{}", r.body);
            assert!(r.body.contains("This form has expired"), "{}", r.body);
        }
    }
    assert_eq!(accounts(&desk), before, "nothing changed");
    assert_eq!(
        desk.get("/", Some(&desk.session("ann", "ann's long password")))
            .status,
        200
    );
}

#[test]
fn refusals_are_one_line_on_the_page_with_nothing_changed() {
    let desk = Desk::start(web_site(""), "web");
    webkit::add_user(&desk.site, "sam", "officer", "sam's long password");
    let admin = desk.admin();
    let csrf = desk.get("/users", Some(&admin)).csrf();
    let before = accounts(&desk);
    let post = |action: &str, form: &[(&str, &str)]| {
        let mut f = form.to_vec();
        f.push(("csrf", &csrf));
        desk.post(&format!("/users/{action}"), &admin, &f)
    };
    let add = |name: &str, email: &str, role: &str| {
        post("add", &[("name", name), ("email", email), ("role", role)])
    };
    for (r, want) in [
        (
            add("sam", "sam2@council.example", "officer"),
            "a user named 'sam' already exists",
        ),
        (
            add("SAM", "sam2@council.example", "officer"),
            "a user named 'sam' already exists (names are the same whatever their case)",
        ),
        (
            add("Admin", "admin2@council.example", "admin"),
            "a user named 'admin' already exists (names are the same whatever their case)",
        ),
        (
            add("tim", "not an email", "officer"),
            "'not an email' is not an email address",
        ),
        (
            add("tim", "tim@council.example", "boss"),
            "unknown role 'boss' (known: officer, manager, admin)",
        ),
        (
            add("tim", "SAM@council.example", "officer"),
            "the account 'sam' already has the email SAM@council.example",
        ),
        (
            add("t i m", "tim@council.example", "officer"),
            "user name 't i m' must be 1-64 letters, digits, '.', '-' or '_'",
        ),
        (
            post("disable", &[("name", "admin")]),
            "'admin' cannot disable their own account",
        ),
        (
            post("disable", &[("name", "nobody")]),
            "no user named 'nobody'",
        ),
        (
            post("password", &[("name", "nobody")]),
            "no user named 'nobody'",
        ),
        (
            post("role", &[("name", "admin"), ("role", "officer")]),
            "'admin' is the last active admin: make another account admin first",
        ),
        (
            post("role", &[("name", "sam"), ("role", "root")]),
            "unknown role 'root' (known: officer, manager, admin)",
        ),
        (
            post("role", &[("name", "sam"), ("role", "officer")]),
            "'sam' is already officer",
        ),
    ] {
        assert_eq!(r.status, 422, "{want}: {}", r.body);
        assert_eq!(refusal(&r), want);
        assert!(r.body.contains("Nothing was changed."));
        assert!(!r.body.contains("new-password"));
    }
    // What was typed stays in the add form.
    let r = add("tim", "not an email", "manager");
    assert!(r.body.contains(r#"id="add-name" name="name" type="text" autocomplete="off" spellcheck="false" aria-describedby="add-name-hint" value="tim""#), "{}", r.body);
    assert!(r.body.contains(r#"<option value="manager" selected>"#));
    assert_eq!(accounts(&desk), before, "nothing changed");
    assert_eq!(
        desk.get("/", Some(&desk.session("sam", "sam's long password")))
            .status,
        200
    );

    // The CLI keeps the same rules: the last active admin stays, and no one disables
    // their own account.
    let err = desk.site.fails(&now(), &["user", "disable", "admin"]);
    assert!(err.contains("'admin' is the last active admin"), "{err}");
    let err = desk
        .site
        .fails(&now(), &["user", "role", "admin", "manager"]);
    assert!(err.contains("'admin' is the last active admin"), "{err}");
    let err = desk
        .site
        .fails(&now(), &["user", "disable", "sam", "--by", "sam"]);
    assert!(
        err.contains("'sam' cannot disable their own account"),
        "{err}"
    );
    assert_eq!(accounts(&desk), before, "nothing changed");
    // With a second admin, the first may step down, recorded as done by whom.
    desk.site
        .run(&now(), &["user", "role", "sam", "admin", "--by", "admin"]);
    desk.site
        .run(&now(), &["user", "disable", "admin", "--by", "sam"]);
    let history = desk.site.run(&now(), &["user", "history"]);
    let rows: Vec<&str> = history.lines().skip(1).collect();
    assert!(
        rows[0].contains("officer:sam") && rows[0].contains("disabled"),
        "{history}"
    );
    assert!(
        rows[1].contains("officer:admin") && rows[1].contains("officer to admin"),
        "{history}"
    );
    assert_eq!(
        desk.get("/users", Some(&admin)).status,
        303,
        "admin's session ended"
    );
}

/// `ADM1` and `adm1` cannot both exist, from the CLI as from the page above.
#[test]
fn account_names_are_unique_without_regard_to_case_from_the_cli() {
    let site = web_site("");
    webkit::add_user(&site, "ADM1", "admin", "a long enough password");
    for name in ["adm1", "Adm1", "ADM1"] {
        let (ok, text) = webkit::try_add_user(&site, name, "officer", "a long enough password");
        assert!(!ok, "{name}: {text}");
        assert!(
            text.contains("a user named 'ADM1' already exists"),
            "{text}"
        );
        assert_eq!(text.trim_end().lines().count(), 1, "{text}");
    }
    let list = site.run(&now(), &["user", "list"]);
    let rows = list
        .lines()
        .filter(|l| l.to_lowercase().starts_with("adm1 "));
    assert_eq!(rows.count(), 1, "{list}");
}

/// A database from before the rule that holds names differing only in case is
/// refused by the upgrade in one line naming them, with nothing changed; once an admin
/// renames one, the upgrade goes ahead and the rule holds.
#[test]
fn an_upgrade_finding_names_that_differ_only_in_case_refuses_in_one_line() {
    let site = web_site("");
    // A database made by the release before migration 28 (schema 27), holding names
    // that differ only in case, as that release allowed.
    let made = site.run(&now(), &["migrate", "--to", "27"]);
    assert_eq!(made.trim(), "27");
    site.db()
        .execute_batch(
            "INSERT INTO users (name, email, role, password_hash, created_at)
             VALUES ('sam', 'sam@council.example', 'officer', 'x', '2026-01-01T00:00:00Z'),
                    ('ADM1', 'a1@council.example', 'admin', 'x', '2026-01-01T00:00:00Z'),
                    ('adm1', 'a2@council.example', 'officer', 'x', '2026-01-01T00:00:00Z'),
                    ('SAM', 'sam2@council.example', 'officer', 'x', '2026-01-01T00:00:00Z');",
        )
        .unwrap();
    let err = site.fails(&now(), &["user", "list"]);
    assert!(
        err.contains("account names must be unique without regard to case")
            && err.contains("'sam' (id 1) and 'SAM' (id 4)")
            && err.contains("'ADM1' (id 2) and 'adm1' (id 3)")
            && err.contains("nothing was changed"),
        "{err}"
    );
    let db = site.db();
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 27, "nothing was changed");
    db.execute_batch(
        "UPDATE users SET name = 'adm1-officer' WHERE id = 3;
         UPDATE users SET name = 'sam2' WHERE id = 4;",
    )
    .unwrap();
    let list = site.run(&now(), &["user", "list"]);
    assert!(
        list.contains("adm1-officer") && list.contains("ADM1"),
        "{list}"
    );
    let (ok, text) = webkit::try_add_user(&site, "Sam2", "officer", "a long enough password");
    assert!(
        !ok && text.contains("a user named 'sam2' already exists"),
        "{text}"
    );
    // The rule is in the schema itself, whoever writes.
    let e = db
        .execute(
            "INSERT INTO users (name, email, role, password_hash, created_at)
             VALUES ('Adm1', 'a3@council.example', 'admin', 'x', '2026-01-01T00:00:00Z')",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("UNIQUE"), "{e}");
}
