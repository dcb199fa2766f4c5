//! The officers' web desk in a real, headless Chromium (Debian `chromium` and
//! `chromium-driver`, which scripts/test.sh installs), driven over the W3C WebDriver
//! protocol by the small client below, with axe-core (tests/browser/axe.min.js)
//! injected into each page: no WCAG 2.0/2.1/2.2 A or AA violation is allowed.
//!
//! Everything stays on loopback: `redress web` on 127.0.0.1, chromedriver on
//! 127.0.0.1, and Chromium with a fresh profile in a temporary directory that
//! resolves no host name at all.
//!
//! To add a scenario (e.g. a reply from the case page), in a test:
//! `let b = Browser::start(); b.sign_in(&desk, "admin", &pw); b.open_case(&desk, REF);
//! b.fill("Body", "text"); b.choose("Outcome", "Upheld"); b.click_button("Preview");
//! b.assert_accessible("reply preview"); assert!(b.text().contains(..));`

use crate::bin;
use crate::support;

pub(crate) use crate::ports::free_port;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const AXE: &str = include_str!("../browser/axe.min.js");
/// The axe-core tags for WCAG 2.0, 2.1 and 2.2 at levels A and AA.
pub(crate) const WCAG_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
pub(crate) const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `redress web` on a free loopback port, once it says where to sign in.
pub(crate) struct Desk {
    /// Stopped before `dir` (its pid file) goes: fields drop in this order.
    _dovecot: Option<support::Dovecot>,
    dir: tempfile::TempDir,
    child: Child,
    base: String,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Desk {
    pub(crate) fn start(dir: tempfile::TempDir, dovecot: Option<support::Dovecot>) -> Desk {
        let log = std::fs::File::create(dir.path().join("desk.log")).unwrap();
        let child = bin::redress()
            .args(["--config", "redress.toml", "web"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut desk = Desk {
            _dovecot: dovecot,
            dir,
            child,
            base: String::new(),
        };
        let re =
            regex::Regex::new(r"web desk: [^\n]*?(http://127\.0\.0\.1:\d+)/[^\n]*sign in").unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(c) = re.captures(&desk.log()) {
                desk.base = c[1].to_string();
                return desk;
            }
            assert!(
                desk.child.try_wait().unwrap().is_none(),
                "redress web exited:\n{}",
                desk.log()
            );
            assert!(
                Instant::now() < deadline,
                "no sign-in line:\n{}",
                desk.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("desk.log")).unwrap_or_default()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn admin_password(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/first-admin-password.txt"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// `redress ARGS` on the desk's site, with `stdin` piped in; its stdout.
    pub(crate) fn redress(&self, args: &[&str], stdin: &str) -> String {
        redress_in(self.dir.path(), args, stdin)
    }
}

pub(crate) fn redress_in(dir: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = bin::redress()
        .args(["--config", "redress.toml"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "redress {args:?}: {e}\n{o}");
    o
}

/// A headless Chromium driven through its own chromedriver, with a throwaway
/// profile. Dropped: the WebDriver session is ended and chromedriver killed.
pub(crate) struct Browser {
    driver: Child,
    endpoint: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.endpoint, self.session)).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub(crate) fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install -y chromium chromium-driver)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver not listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-extensions",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1280,1024",
                ],
            },
        }}});
        let mut b = Browser {
            driver,
            endpoint,
            session: String::new(),
            _profile: profile,
        };
        let v = b
            .raw("POST", "/session", Some(caps))
            .expect("a Chromium session");
        b.session = v["sessionId"].as_str().unwrap().to_string();
        b.cmd(
            "POST",
            "/timeouts",
            json!({"implicit": 5000, "pageLoad": 20000, "script": 30000}),
        );
        b
    }

    /// A WebDriver call: the `value` of its answer, or the error it gave.
    pub(crate) fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let req = ureq::request(method, &format!("{}{path}", self.endpoint))
            .timeout(Duration::from_secs(60));
        let out = match body {
            Some(b) => req
                .set("Content-Type", "application/json")
                .send_string(&b.to_string()),
            None => req.call(),
        };
        let (ok, text) = match out {
            Ok(r) => (true, r.into_string().unwrap()),
            Err(ureq::Error::Status(_, r)) => (false, r.into_string().unwrap()),
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"));
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"].clone())
        }
    }

    /// A call in this session that must succeed.
    pub(crate) fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let body = (method == "POST").then_some(body);
        let p = format!("/session/{}{path}", self.session);
        self.raw(method, &p, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub(crate) fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
        self.screenshot();
    }

    /// Screenshots of the page as loaded, for a person to look at:
    /// target/tmp/screenshots/TEST-NN-WIDTH-PATH.png (the test's name, the page's order
    /// in it, 1280 or 390 px, its path).
    pub(crate) fn screenshot(&self) {
        static SHOTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SHOTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let test = std::thread::current()
            .name()
            .unwrap_or("test")
            .rsplit("::")
            .next()
            .unwrap_or("test")
            .to_string();
        let url = self.current_url();
        let path: String = url
            .splitn(4, '/')
            .nth(3)
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(60)
            .collect();
        // As on a desktop (the window's 1280 px), then as on a phone (390 px): the same
        // page, resized, and the window put back for the test's next step.
        for width in [1280, 390] {
            self.cmd(
                "POST",
                "/window/rect",
                json!({ "width": width, "height": 1024 }),
            );
            let png = self.cmd("GET", "/screenshot", Value::Null);
            let png = base64_decode(png.as_str().unwrap());
            std::fs::write(dir.join(format!("{test}-{n:03}-{width}-{path}.png")), png).unwrap();
        }
        self.cmd(
            "POST",
            "/window/rect",
            json!({ "width": 1280, "height": 1024 }),
        );
    }

    pub(crate) fn current_url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) fn title(&self) -> String {
        self.cmd("GET", "/title", Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    /// JavaScript run in the page (a function body; `arguments` are `args`).
    pub(crate) fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Asynchronous JavaScript: the script calls `arguments[arguments.length - 1]` with
    /// its result.
    pub(crate) fn js_async(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            json!({ "script": script, "args": [] }),
        )
    }

    /// The page's text as a person sees it.
    pub(crate) fn text(&self) -> String {
        self.js("return document.body.innerText;", json!([]))
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The element found by XPath (waiting up to the implicit 5 s).
    pub(crate) fn find(&self, xpath: &str) -> String {
        let v = self
            .raw(
                "POST",
                &format!("/session/{}/element", self.session),
                Some(json!({"using": "xpath", "value": xpath})),
            )
            .unwrap_or_else(|e| {
                panic!(
                    "no element {xpath} on {}: {e}\n{}",
                    self.current_url(),
                    self.text()
                )
            });
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{xpath}: {v}"))
            .to_string()
    }

    pub(crate) fn click(&self, xpath: &str) {
        let el = self.find(xpath);
        self.cmd("POST", &format!("/element/{el}/click"), json!({}));
    }

    /// Click the button whose text is `text` (e.g. "Sign in", "Preview", "Send"),
    /// then wait for the page its form leads to (the old one marked, gone and the
    /// new one loaded): forms here submit without JavaScript.
    pub(crate) fn click_button(&self, text: &str) {
        self.js("window.__redressOldPage = true;", json!([]));
        self.click(&format!("//button[normalize-space(.)={}]", xpath_str(text)));
        let deadline = Instant::now() + Duration::from_secs(20);
        let loaded =
            "return window.__redressOldPage === undefined && document.readyState === 'complete';";
        let exec = format!("/session/{}/execute/sync", self.session);
        // Mid-navigation a script may find no page to run in: not loaded yet.
        while self.raw("POST", &exec, Some(json!({"script": loaded, "args": []})))
            != Ok(json!(true))
        {
            assert!(
                Instant::now() < deadline,
                "no new page after clicking {text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.screenshot();
    }

    /// Click the link whose text is `text`.
    pub(crate) fn click_link(&self, text: &str) {
        self.click(&format!("//a[normalize-space(.)={}]", xpath_str(text)));
    }

    /// The form control labelled `label`.
    pub(crate) fn control(&self, label: &str) -> String {
        self.find(&format!(
            "//*[@id=//label[normalize-space(.)={}]/@for]",
            xpath_str(label)
        ))
    }

    /// Type `value` into the field labelled `label`, replacing what was there.
    pub(crate) fn fill(&self, label: &str, value: &str) {
        let el = self.control(label);
        self.cmd("POST", &format!("/element/{el}/clear"), json!({}));
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            json!({ "text": value }),
        );
    }

    /// Pick the option `option` of the select labelled `label`, or the radio or
    /// checkbox labelled `option` (when `label` is empty).
    #[allow(dead_code)]
    pub(crate) fn choose(&self, label: &str, option: &str) {
        if label.is_empty() {
            self.click(&format!(
                "//label[normalize-space(.)={}]",
                xpath_str(option)
            ));
        } else {
            let select = self.control(label);
            let xp = format!(".//option[normalize-space(.)={}]", xpath_str(option));
            let v = self.cmd(
                "POST",
                &format!("/element/{select}/element"),
                json!({"using": "xpath", "value": xp}),
            );
            let el = v[ELEMENT].as_str().unwrap().to_string();
            self.cmd("POST", &format!("/element/{el}/click"), json!({}));
        }
    }

    /// The sign-in form filled in and sent.
    pub(crate) fn sign_in(&self, desk: &Desk, account: &str, password: &str) {
        self.goto(&desk.url("/sign-in"));
        self.fill("User name or email address", account);
        self.fill("Password", password);
        self.click_button("Sign in");
    }

    /// The case page, reached from the queue by its link.
    pub(crate) fn open_case(&self, desk: &Desk, reference: &str) {
        self.goto(&desk.url("/"));
        self.click_link(reference);
        assert_eq!(self.current_url(), desk.url(&format!("/cases/{reference}")));
    }

    /// The text of an open alert, if any (an injected script would raise one).
    pub(crate) fn alert(&self) -> Option<String> {
        let p = format!("/session/{}/alert/text", self.session);
        self.raw("GET", &p, None)
            .ok()
            .map(|v| v.as_str().unwrap_or_default().to_string())
    }

    /// axe-core run on the page as it is, as on a desktop (1280 px) and as on a phone
    /// (390 px): panics listing every WCAG 2.x A/AA violation (rule, impact, and each
    /// offending element), or when at 390 px the page is wider than the window (a
    /// sideways scroll). The window is put back to 1280 px after.
    pub(crate) fn assert_accessible(&self, what: &str) {
        self.js(AXE, json!([]));
        for width in [1280, 390] {
            self.cmd(
                "POST",
                "/window/rect",
                json!({ "width": width, "height": 1024 }),
            );
            self.assert_axe(&format!("{what} at {width} px"));
            if width == 390 {
                let sizes = self.js(
                    "return [document.documentElement.scrollWidth, window.innerWidth];",
                    json!([]),
                );
                let (page, window) = (sizes[0].as_i64().unwrap(), sizes[1].as_i64().unwrap());
                let widest = self.js(
                    "const w = window.innerWidth; let found = [];\
                     for (const e of document.querySelectorAll('body *')) {\
                       const r = e.getBoundingClientRect();\
                       if (r.right > w + 1 && found.length < 5) found.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right));\
                     } return found.join('; ');",
                    json!([]),
                );
                assert!(
                    page <= window,
                    "{what} ({}): at 390 px the page is {page} px wide in a {window} px window (wider: {widest})",
                    self.current_url()
                );
            }
        }
        self.cmd(
            "POST",
            "/window/rect",
            json!({ "width": 1280, "height": 1024 }),
        );
    }

    fn assert_axe(&self, what: &str) {
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})\
              .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + '\\n' +\
                 v.nodes.map(n => '    ' + n.target.join(' ') + ' ' + n.html + '\\n      ' + n.failureSummary).join('\\n'))))\
              .catch(e => done(['axe failed: ' + e]));";
        let v = self.cmd(
            "POST",
            "/execute/async",
            json!({ "script": script, "args": [WCAG_TAGS] }),
        );
        let found: Vec<String> = serde_json::from_value(v).unwrap();
        assert!(
            found.is_empty(),
            "{what} ({}): WCAG violations:\n{}",
            self.current_url(),
            found.join("\n")
        );
    }
}

/// The first case reference (EX-YYYY-NNNNN) in a command's output.
pub(crate) fn reference_in(text: &str) -> String {
    regex::Regex::new(r"EX-\d{4}-\d{5}")
        .unwrap()
        .find(text)
        .unwrap_or_else(|| panic!("no case reference in: {text}"))
        .as_str()
        .to_string()
}

/// A mail dropped into the site's Maildir, as a delivery agent would.
pub(crate) fn mail(dir: &Path, name: &str, from: &str, subject: &str, body: &str) {
    std::fs::create_dir_all(dir.join("maildir/new")).unwrap();
    let raw = format!(
        "From: {from}\r\nTo: complaints@council.example\r\nSubject: {subject}\r\nMessage-ID: <{name}@example.org>\r\nDate: Mon, 7 Dec 2026 09:00:00 +0000\r\n\r\n{body}\r\n"
    );
    std::fs::write(dir.join("maildir/new").join(name), raw).unwrap();
}

/// `s` as an XPath string literal.
pub(crate) fn xpath_str(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// A site reading the complaints mailbox from a real Dovecot, with the desk on a
/// free loopback port.
pub(crate) fn dovecot_site(dir: &Path, dc: &support::Dovecot) {
    std::fs::write(dir.join("imap-password"), "secret\n").unwrap();
    std::fs::write(
        dir.join("redress.toml"),
        format!(
            "policy = \"lgsco-code\"\n[council]\nname = \"Test Council\"\nemail = \"complaints@council.example\"\nreference_prefix = \"EX\"\n\
             [mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"plain\"\nuser = \"{}\"\npassword_file = \"imap-password\"\n\
             [outbox]\nkind = \"file\"\npath = \"outbox\"\n[web]\nlisten = \"127.0.0.1:0\"\n",
            dc.imap_port, dc.user
        ),
    )
    .unwrap();
}

pub(crate) const HOSTILE: &str =
    "From: Mallory Resident <mallory@example.org>\r\nTo: complaints@council.example\r\n\
    Subject: Complaint <b>about</b> bins {{ 7*7 }}\r\nMessage-ID: <browser-hostile@example.org>\r\n\
    Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n\
    I wish to complain about my bins.\r\n<script>alert('xss'); window.pwned = 1;</script>\r\n\
    <img src=x onerror=\"alert('img'); window.pwned = 2\">\r\nTotal: {{ 7*7 }} {% raw %}\r\n";

#[test]
fn an_admin_signs_in_and_reads_a_hostile_complaint_from_dovecot_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = support::Dovecot::start(tmp.path());
    dovecot_site(tmp.path(), &dc);
    dc.deliver("1.hostile", HOSTILE.as_bytes());
    let polled = redress_in(tmp.path(), &["poll"], "");
    let reference = reference_in(&polled);
    let desk = Desk::start(tmp, Some(dc));
    let b = Browser::start();

    // Not signed in: the sign-in page, accessible.
    b.goto(&desk.url("/"));
    assert_eq!(b.current_url(), desk.url("/sign-in"));
    b.assert_accessible("sign-in page");

    // Signed in with the first admin's password: the queue lists the case.
    b.sign_in(&desk, "admin", &desk.admin_password());
    assert_eq!(b.current_url(), desk.url("/"));
    let queue = b.text();
    assert!(
        queue.contains("My queue") && queue.contains(&reference),
        "{queue}"
    );
    b.assert_accessible("queue");

    // The case: the message's markup and template syntax shown as text, not run.
    b.open_case(&desk, &reference);
    let page = b.text();
    assert!(
        page.contains("<script>alert('xss'); window.pwned = 1;</script>"),
        "{page}"
    );
    assert!(page.contains("<img src=x onerror="), "{page}");
    assert!(page.contains("Total: {{ 7*7 }} {% raw %}"), "{page}");
    assert!(
        page.contains("Complaint <b>about</b> bins {{ 7*7 }}"),
        "{page}"
    );
    assert!(!page.contains("Total: 49"), "{page}");
    assert_eq!(b.alert(), None, "an alert is open");
    assert_eq!(
        b.js("return window.pwned === undefined;", json!([])),
        json!(true)
    );
    let injected = b.js(
        "return document.querySelectorAll('main script, main img, main b').length;",
        json!([]),
    );
    assert_eq!(injected, json!(0));
    assert!(b.title().contains(&reference));
    b.assert_accessible("case page");

    // Users (admin): accessible.
    b.goto(&desk.url("/users"));
    assert!(b.text().contains("admin"));
    b.assert_accessible("users page");

    // A form whose hidden token was altered: refused, still signed in, nothing done.
    b.js(
        "document.querySelector('form[action=\"/sign-out\"] input[name=csrf]').value = '0'.repeat(64);",
        json!([]),
    );
    b.click_button("Sign out admin");
    let refused = b.text();
    assert!(refused.contains("This form has expired"), "{refused}");
    assert!(refused.contains("Nothing was changed"), "{refused}");
    b.assert_accessible("refused form");
    b.goto(&desk.url("/"));
    assert_eq!(b.current_url(), desk.url("/"), "still signed in");
    assert!(desk
        .log()
        .contains("POST refused: missing or wrong CSRF token"));

    // Its real token: signed out.
    b.click_button("Sign out admin");
    assert_eq!(b.current_url(), desk.url("/sign-in"));
    b.goto(&desk.url("/"));
    assert_eq!(b.current_url(), desk.url("/sign-in"));

    // An officer cannot open the admin page.
    desk.redress(
        &[
            "user",
            "add",
            "olly",
            "--email",
            "olly@council.example",
            "--role",
            "officer",
        ],
        "olly-correct-horse-battery\n",
    );
    b.sign_in(&desk, "olly", "olly-correct-horse-battery");
    assert_eq!(b.current_url(), desk.url("/"));
    assert!(!b.text().contains("Users"), "no Users link for an officer");
    b.goto(&desk.url("/users"));
    let forbidden = b.text();
    assert!(
        forbidden.contains("You cannot open this page"),
        "{forbidden}"
    );
    assert!(!forbidden.contains("olly@council.example"), "{forbidden}");
    b.assert_accessible("forbidden page");
}

#[test]
fn a_wrong_password_shows_the_error_and_five_lock_the_account_out() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("redress.toml"),
        "policy = \"lgsco-code\"\n[council]\nname = \"Test Council\"\nemail = \"complaints@council.example\"\nreference_prefix = \"EX\"\n\
         [mailbox]\nkind = \"maildir\"\npath = \"maildir\"\n[outbox]\nkind = \"file\"\npath = \"outbox\"\n[web]\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", "not-the-password");
    assert_eq!(b.current_url(), desk.url("/sign-in"));
    let page = b.text();
    assert!(page.contains("There is a problem"), "{page}");
    assert!(
        page.contains("The name or password is not right."),
        "{page}"
    );
    b.assert_accessible("sign-in error");
    for _ in 0..4 {
        b.sign_in(&desk, "admin", "still-not-it");
        assert!(b.text().contains("The name or password is not right."));
    }
    b.sign_in(&desk, "admin", &desk.admin_password());
    let page = b.text();
    assert!(
        page.contains("This account is locked for 1 more minute after several wrong passwords"),
        "{page}"
    );
    assert_eq!(b.current_url(), desk.url("/sign-in"));
    b.assert_accessible("sign-in throttled");
    b.goto(&desk.url("/"));
    assert_eq!(b.current_url(), desk.url("/sign-in"), "not signed in");
}

/// An SMTP server on loopback (aiosmtpd, tests/support/smtp_sink.py) keeping what it
/// accepts in a Maildir; killed when dropped.
pub(crate) struct SmtpSink {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpSink {
    pub(crate) fn start(maildir: &Path) -> SmtpSink {
        use std::io::BufRead;
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = std::process::Command::new("/usr/bin/python3")
            .arg(script)
            .arg(port.to_string())
            .arg(maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SMTP sink (python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "SMTP sink did not start");
        SmtpSink {
            child,
            port,
            maildir: maildir.to_path_buf(),
        }
    }

    pub(crate) fn messages(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in rd {
                    out.push(std::fs::read(e.unwrap().path()).unwrap());
                }
            }
        }
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_officer_writes_a_reply_previews_the_pdf_and_sends_it_to_the_smtp_server() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = support::Dovecot::start(tmp.path());
    dovecot_site(tmp.path(), &dc);
    let sink = SmtpSink::start(&tmp.path().join("sink"));
    // Letters go to the real SMTP server instead of the file outbox.
    let cfg = tmp.path().join("redress.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "[outbox]\nkind = \"file\"\npath = \"outbox\"\n",
        &format!(
            "[outbox]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"plain\"\n",
            sink.port
        ),
    );
    assert!(text.contains("kind = \"smtp\""), "{text}");
    std::fs::write(&cfg, text).unwrap();
    dc.deliver(
        "1.bins",
        b"From: Ivy Stone <ivy@example.org>\r\nTo: complaints@council.example\r\n\
          Subject: Missed bins\r\nMessage-ID: <browser-reply@example.org>\r\n\
          Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n\
          I wish to complain: my bins were missed three weeks running.\r\n",
    );
    let polled = redress_in(tmp.path(), &["poll"], "");
    let reference = reference_in(&polled);
    // The acknowledgement goes first, so the sink then holds only it.
    redress_in(tmp.path(), &["send"], "");
    assert_eq!(sink.messages().len(), 1);
    let desk = Desk::start(tmp, Some(dc));
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.open_case(&desk, &reference);
    assert!(b.text().contains("my bins were missed"), "{}", b.text());
    b.choose("Letter", "Stage response");
    b.choose("Outcome", "upheld");
    b.fill(
        "Findings",
        "The crew missed your street after a route change. It is back on the round.",
    );

    // Preview: the exact PDF, fetched by the page's own form (what the Preview button
    // opens in a new tab), read back with pdftotext. Nothing is sent or recorded.
    let b64 = b.js_async(
        "const done = arguments[arguments.length - 1];
         const f = document.getElementById('reply-form');
         const d = new URLSearchParams(new FormData(f)); d.set('action', 'preview');
         fetch(f.getAttribute('action'), {method: 'POST', body: d, credentials: 'same-origin'})
           .then(r => (r.headers.get('content-type') || '').startsWith('application/pdf')
                 ? r.arrayBuffer()
                 : r.text().then(t => Promise.reject('not a PDF: ' + r.status + ' ' + t.slice(0, 2000))))
           .then(buf => { let s = ''; new Uint8Array(buf).forEach(x => s += String.fromCharCode(x));
                          done(btoa(s)); })
           .catch(e => done('error: ' + e));",
    );
    let b64 = b64.as_str().unwrap().to_string();
    assert!(!b64.starts_with("error"), "{b64}");
    let pdf = base64_decode(&b64);
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let file = desk.dir.path().join("preview.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let preview = bin::pdf_text(&file)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(preview.contains("It is back on the round."), "{preview}");
    assert!(preview.contains(&reference), "{preview}");
    let outbox = desk.redress(&["outbox", "--json"], "");
    assert_eq!(
        outbox.matches("\"kind\"").count(),
        1,
        "a preview queued nothing: {outbox}"
    );

    // Send: the case page says so, and the letter reaches the SMTP server with the PDF.
    b.click_button("Send");
    assert!(b.current_url().contains(&reference), "{}", b.current_url());
    // The timeline in sentences, the officer by name (issue 26: never "officer:admin").
    assert!(b.text().contains("admin sent the response"), "{}", b.text());
    assert!(!b.text().contains("officer:admin"), "{}", b.text());
    b.assert_accessible("case page after a reply");
    desk.redress(&["send"], "");
    let sent = sink.messages();
    assert_eq!(sent.len(), 2, "the acknowledgement and the response");
    let reply = sent
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .find(|m| m.contains("Subject: Our response to your complaint"))
        .expect("the response reached the SMTP server");
    assert!(reply.contains("ivy@example.org"), "{reply}");
    assert!(
        reply.contains("application/pdf") && reply.contains(".pdf"),
        "the PDF letter is attached: {reply}"
    );
}

/// Standard base64 (what the page's `btoa` gives).
pub(crate) fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 26,
            b'0'..=b'9' => (c - b'0') as u32 + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.trim_end_matches('=').as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

/// A site with no mailbox server: mail from ./maildir, letters to ./outbox, the desk
/// on a free loopback port.
pub(crate) fn plain_site(dir: &Path) {
    std::fs::write(
        dir.join("redress.toml"),
        "policy = \"lgsco-code\"\n[council]\nname = \"Test Council\"\nemail = \"complaints@council.example\"\nreference_prefix = \"EX\"\n\
         [mailbox]\nkind = \"maildir\"\npath = \"maildir\"\n[outbox]\nkind = \"file\"\npath = \"outbox\"\n[web]\nlisten = \"127.0.0.1:0\"\n",
    )
    .unwrap();
}

/// [`plain_site`] under another of the built-in policies.
pub(crate) fn plain_site_under(dir: &Path, policy: &str) {
    plain_site(dir);
    let cfg = std::fs::read_to_string(dir.join("redress.toml"))
        .unwrap()
        .replace("policy = \"lgsco-code\"", &format!("policy = \"{policy}\""));
    std::fs::write(dir.join("redress.toml"), cfg).unwrap();
}

#[test]
fn an_admin_adds_an_officer_and_a_case_page_older_than_the_officers_note_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    plain_site(tmp.path());
    let opened = redress_in(
        tmp.path(),
        &[
            "new",
            "--email",
            "ivy@example.org",
            "--name",
            "Ivy Stone",
            "--via",
            "phone",
        ],
        "",
    );
    let reference = reference_in(&opened);
    let desk = Desk::start(tmp, None);

    // The admin adds an officer on the Users page: the password is shown once.
    let admin = Browser::start();
    admin.sign_in(&desk, "admin", &desk.admin_password());
    admin.goto(&desk.url("/users"));
    admin.assert_accessible("users page with its forms");
    admin.fill("User name", "olly");
    admin.fill("Email address", "olly@council.example");
    admin.choose("Role", "officer");
    admin.click_button("Add user");
    let page = admin.text();
    assert!(
        page.contains("The account 'olly' was added as officer."),
        "{page}"
    );
    let password = admin
        .js(
            "return document.getElementById('new-password').textContent;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 20, "{page}");
    admin.assert_accessible("users page showing a new password");
    // The same name again: the reason on the page, the form filled in again.
    admin.fill("User name", "olly");
    admin.fill("Email address", "olly2@council.example");
    admin.click_button("Add user");
    let page = admin.text();
    assert!(page.contains("That was not done"), "{page}");
    assert!(
        page.contains("a user named 'olly' already exists"),
        "{page}"
    );
    assert!(!page.contains(&password), "shown once only");
    admin.assert_accessible("users page with a refusal");

    // The officer signs in with it in a second browser and opens the case; so does the admin.
    let olly = Browser::start();
    olly.sign_in(&desk, "olly", &password);
    assert_eq!(olly.current_url(), desk.url("/"));
    admin.open_case(&desk, &reference);
    olly.open_case(&desk, &reference);

    // The officer adds a note; the admin, on the page drawn before it, then adds one.
    olly.fill("Note", "Rang Ivy: she will send photos.");
    olly.click_button("Add note");
    assert!(
        olly.text().contains("The note was added."),
        "{}",
        olly.text()
    );
    admin.fill("Note", "Written on a stale page.");
    admin.click_button("Add note");
    let page = admin.text();
    assert!(
        page.contains("This case changed since you opened it."),
        "{page}"
    );
    assert!(page.contains("Nothing was changed."), "{page}");
    admin.assert_accessible("stale case page");
    // What the admin typed is still in the form, to send again once reloaded.
    assert_eq!(
        admin.js(
            "return document.getElementById('note-text').value;",
            json!([])
        ),
        json!("Written on a stale page.")
    );
    let history = desk.redress(&["case", &reference, "--history"], "");
    assert!(
        history.contains("officer:olly") && history.contains("Rang Ivy: she will send photos."),
        "{history}"
    );
    assert!(!history.contains("Written on a stale page."), "{history}");

    // Reloaded: the officer's note is there, and the admin's goes through beside it.
    admin.click_link("Reload the case");
    assert_eq!(
        admin.current_url(),
        desk.url(&format!("/cases/{reference}"))
    );
    let page = admin.text();
    assert!(page.contains("Rang Ivy: she will send photos."), "{page}");
    assert!(!page.contains("This case changed"), "{page}");
    admin.fill("Note", "Written after reloading.");
    admin.click_button("Add note");
    assert!(
        admin.text().contains("The note was added."),
        "{}",
        admin.text()
    );
    let history = desk.redress(&["case", &reference, "--history"], "");
    assert!(
        history.contains("Rang Ivy: she will send photos.")
            && history.contains("officer:admin")
            && history.contains("Written after reloading."),
        "{history}"
    );
    assert!(!history.contains("Written on a stale page."), "{history}");
}

/// Mail from a real Dovecot that Redress could not put on a case, read and released by
/// a manager in Chromium: the Quarantine pages pass axe, a hostile message is shown as
/// text (nothing in it runs), and its forms attach one message to a case and discard
/// another (a reason is required), each recorded with the manager's name.
#[test]
fn a_manager_reads_quarantined_mail_as_text_then_attaches_and_discards_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dc = support::Dovecot::start(tmp.path());
    dovecot_site(tmp.path(), &dc);
    dc.deliver(
        "1.bins",
        b"From: Ivy Stone <ivy@example.org>\r\nTo: complaints@council.example\r\n\
          Subject: Missed bins\r\nMessage-ID: <browser-q1@example.org>\r\n\
          Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\nI wish to complain: my bins were missed.\r\n",
    );
    dc.deliver(
        "2.hostile",
        b"To: complaints@council.example\r\nSubject: My bins <b>again</b>\r\n\
          Message-ID: <browser-q2@example.org>\r\n\r\nThe photos.\r\n\
          <script>alert('xss'); window.pwned = 1;</script>\r\n\
          <img src=x onerror=\"alert('img'); window.pwned = 2\">\r\n",
    );
    dc.deliver(
        "3.prize",
        b"To: complaints@council.example\r\nSubject: You won a prize\r\n\
          Message-ID: <browser-q3@example.org>\r\n\r\nClaim it now.\r\n",
    );
    let polled = redress_in(tmp.path(), &["poll"], "");
    assert!(polled.contains("2 quarantined"), "{polled}");
    let reference = reference_in(&polled);
    let listed: Value =
        serde_json::from_str(&redress_in(tmp.path(), &["quarantine", "--json"], "")).unwrap();
    let id_of = |subject: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["subject"].as_str().is_some_and(|s| s.contains(subject)))
            .unwrap_or_else(|| panic!("{subject} not in {listed}"))["id"]
            .to_string()
    };
    let (hostile, prize) = (id_of("My bins"), id_of("You won"));
    let desk = Desk::start(tmp, Some(dc));
    desk.redress(
        &[
            "user",
            "add",
            "mona",
            "--email",
            "mona@council.example",
            "--role",
            "manager",
        ],
        "mona-correct-horse-battery\n",
    );
    let b = Browser::start();
    b.sign_in(&desk, "mona", "mona-correct-horse-battery");
    b.click_link("Quarantine");
    assert_eq!(b.current_url(), desk.url("/quarantine"));
    let list = b.text();
    assert!(list.contains("no sender address (From)"), "{list}");
    assert!(list.contains("My bins <b>again</b>"), "{list}");
    b.assert_accessible("quarantine list");

    b.goto(&desk.url(&format!("/quarantine/{hostile}")));
    let page = b.text();
    assert!(
        page.contains("<script>alert('xss'); window.pwned = 1;</script>"),
        "{page}"
    );
    assert!(page.contains("<img src=x onerror="), "{page}");
    assert_eq!(b.alert(), None, "an alert is open");
    assert_eq!(
        b.js("return window.pwned === undefined;", json!([])),
        json!(true)
    );
    assert_eq!(
        b.js(
            "return document.querySelectorAll('main script, main img, main b').length;",
            json!([])
        ),
        json!(0)
    );
    b.assert_accessible("quarantined message");

    b.fill("Attach it to case", &reference);
    b.click_button("Attach to the case");
    assert_eq!(
        b.current_url(),
        desk.url(&format!("/cases/{reference}?done=quarantine-attach"))
    );
    let case = b.text();
    assert!(
        case.contains("The message was attached to this case from the quarantine."),
        "{case}"
    );
    // The timeline in sentences, the manager by name (issue 26).
    assert!(
        case.contains("mona attached a message from the quarantine"),
        "{case}"
    );
    assert!(!case.contains("officer:mona"), "{case}");
    assert!(case.contains("<script>alert('xss')"), "{case}");
    assert_eq!(b.alert(), None, "an alert is open");
    b.assert_accessible("case after an attach");

    b.goto(&desk.url(&format!("/quarantine/{prize}")));
    b.click_button("Discard");
    let refused = b.text();
    assert!(refused.contains("say why quarantined message"), "{refused}");
    assert!(refused.contains("Nothing was changed"), "{refused}");
    b.assert_accessible("refused discard");
    b.fill("Discard it: why", "Spam: a prize draw");
    b.click_button("Discard");
    assert_eq!(b.current_url(), desk.url("/quarantine?done=discarded"));
    let after = b.text();
    assert!(
        after.contains("No message is in the quarantine."),
        "{after}"
    );
    let all = desk.redress(&["quarantine", "--all"], "");
    assert!(
        all.contains("discarded (Spam: a prize draw) by officer:mona"),
        "{all}"
    );
}

#[test]
fn an_officer_encloses_a_file_with_a_reply_and_it_reaches_the_smtp_server_after_the_pdf() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sink = SmtpSink::start(&dir.join("sink"));
    std::fs::create_dir_all(dir.join("maildir/new")).unwrap();
    std::fs::write(
        dir.join("redress.toml"),
        format!(
            "policy = \"lgsco-code\"\n[council]\nname = \"Test Council\"\nemail = \"complaints@council.example\"\nreference_prefix = \"EX\"\n\
             [mailbox]\nkind = \"maildir\"\npath = \"maildir\"\n\
             [outbox]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"plain\"\n[web]\nlisten = \"127.0.0.1:0\"\n",
            sink.port
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("maildir/new/1.bins"),
        b"From: Ivy Stone <ivy@example.org>\r\nTo: complaints@council.example\r\n\
          Subject: Missed bins\r\nMessage-ID: <browser-enclosure@example.org>\r\n\
          Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n\r\n\
          My bins were missed three weeks running.\r\n",
    )
    .unwrap();
    let polled = redress_in(dir, &["poll"], "");
    let reference = reference_in(&polled);
    redress_in(dir, &["send"], "");
    assert_eq!(sink.messages().len(), 1, "the acknowledgement");
    // The file the officer picks, as the browser reads it from disk.
    let mut photo = b"\x89PNG\r\n\x1a\n".to_vec();
    photo.extend((0..4000u32).map(|i| (i * 17 % 256) as u8));
    let photo_path = dir.join("collection-route.png");
    std::fs::write(&photo_path, &photo).unwrap();

    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.open_case(&desk, &reference);
    b.choose("Letter", "Stage response");
    b.choose("Outcome", "upheld");
    b.fill("Findings", "Your street is back on the round.");
    let input = b.control("Files to enclose (optional)");
    b.cmd(
        "POST",
        &format!("/element/{input}/value"),
        json!({ "text": photo_path.to_str().unwrap() }),
    );
    b.assert_accessible("reply form with a file chosen");

    // Preview: the page's own form, files and all, as the browser encodes it.
    let text = b.js_async(
        "const done = arguments[arguments.length - 1];
         const f = document.getElementById('reply-form');
         const d = new FormData(f); d.set('action', 'preview');
         fetch(f.getAttribute('action'), {method: 'POST', body: d, credentials: 'same-origin'})
           .then(r => (r.headers.get('content-type') || '').startsWith('application/pdf')
                 ? r.arrayBuffer()
                 : r.text().then(t => Promise.reject('not a PDF: ' + r.status + ' ' + t.slice(0, 2000))))
           .then(buf => { let s = ''; new Uint8Array(buf).forEach(x => s += String.fromCharCode(x));
                          done(btoa(s)); })
           .catch(e => done('error: ' + e));",
    );
    let text = text.as_str().unwrap().to_string();
    assert!(!text.starts_with("error"), "{text}");
    let file = desk.dir.path().join("preview.pdf");
    std::fs::write(&file, base64_decode(&text)).unwrap();
    let preview = bin::pdf_text(&file)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        preview.contains("Enclosures: collection-route.png"),
        "{preview}"
    );

    b.click_button("Send");
    assert!(b.current_url().contains(&reference), "{}", b.current_url());
    assert!(b.text().contains("collection-route.png"), "{}", b.text());
    desk.redress(&["send"], "");
    let sent = sink.messages();
    let raw = sent
        .iter()
        .find(|m| String::from_utf8_lossy(m).contains("Subject: Our response to your complaint"))
        .expect("the response reached the SMTP server");
    let m = mail_parser::MessageParser::default().parse(raw).unwrap();
    use mail_parser::MimeHeaders;
    let parts: Vec<(String, Vec<u8>)> = m
        .attachments()
        .map(|a| {
            (
                a.attachment_name().unwrap_or_default().to_string(),
                a.contents().to_vec(),
            )
        })
        .collect();
    assert_eq!(parts.len(), 2, "the letter and the file");
    assert!(
        parts[0].0.ends_with("-stage-response.pdf"),
        "{}",
        parts[0].0
    );
    assert_eq!(parts[1].0, "collection-route.png");
    assert_eq!(parts[1].1, photo, "the file arrives byte for byte");
}
