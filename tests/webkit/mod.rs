//! The desk through the real binary, for tests: `redress web` (or `redress run`) on a
//! free loopback port, driven over HTTP with manual cookies. Shared by tests/web.rs and
//! tests/web_actions.rs.
#![allow(dead_code)]

use crate::bin;
use crate::site::Site;
use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub bytes: Vec<u8>,
    pub body: String,
}

impl Resp {
    /// The answer read whole, an error status included; `what` names the request if
    /// there was none.
    fn read(out: Result<ureq::Response, ureq::Error>, what: &str) -> Resp {
        let r = match out {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{what}: {e}"),
        };
        let status = r.status();
        let mut headers = Vec::new();
        for name in r.headers_names() {
            for v in r.all(&name) {
                headers.push((name.clone(), v.to_string()));
            }
        }
        let mut bytes = Vec::new();
        r.into_reader().read_to_end(&mut bytes).unwrap();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Resp {
            status,
            headers,
            bytes,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The Set-Cookie line for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value `name` is set to.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let line = self.set_cookie(name)?;
        let v = line.split(';').next()?.split_once('=')?.1;
        Some(v.to_string())
    }

    pub fn csrf(&self) -> String {
        self.field("csrf")
    }

    /// The value of the first hidden field `name` on the page.
    pub fn field(&self, name: &str) -> String {
        let re = regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#)).unwrap();
        re.captures(&self.body)
            .unwrap_or_else(|| panic!("no {name} field in\n{}", self.body))[1]
            .to_string()
    }
}

pub struct Desk {
    pub site: Site,
    pub child: Child,
    pub base: String,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn web_site(extra_web: &str) -> Site {
    Site::with(
        "lgsco-code",
        "EX",
        &format!("[web]\nlisten = \"127.0.0.1:0\"\n{extra_web}\n"),
    )
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// A desk (`redress web`) over a site (`web_site(extra_web)`) holding one complaint
/// that came by email, Ada's about potholes; its reference.
pub fn desk_with_a_case(extra_web: &str) -> (Desk, String) {
    let site = web_site(extra_web);
    desk_with_mail(
        site,
        "Ada <ada@example.org>",
        "Potholes on Mill Lane",
        "The potholes are deep.",
        "a1@example.org",
    )
}

/// A desk (`redress web`) over `site` once one mail has come in and opened a case;
/// its reference.
pub fn desk_with_mail(
    site: Site,
    from: &str,
    subject: &str,
    body: &str,
    message_id: &str,
) -> (Desk, String) {
    let reference = site.mailed_case(&now(), from, subject, body, message_id);
    (Desk::start(site, "web"), reference)
}

impl Desk {
    /// `redress COMMAND` (web or run) on the site, once it says where to sign in.
    pub fn start(site: Site, command: &str) -> Desk {
        Desk::start_with(site, &[command])
    }

    /// `redress ARGS...` (e.g. `["--now", DATE, "web"]`) on the site.
    pub fn start_with(site: Site, args: &[&str]) -> Desk {
        let command = args.last().copied().unwrap_or_default();
        let log = std::fs::File::create(site.path().join("desk.log")).unwrap();
        let child = bin::redress()
            .args(["--config", "redress.toml"])
            .args(args)
            .current_dir(site.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut desk = Desk {
            site,
            child,
            base: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let re =
            regex::Regex::new(r"web desk: [^\n]*?(http://127\.0\.0\.1:\d+)/[^\n]*sign in").unwrap();
        loop {
            if let Some(c) = re.captures(&desk.log()) {
                desk.base = c[1].to_string();
                return desk;
            }
            assert!(
                desk.child.try_wait().unwrap().is_none(),
                "redress {command} exited:\n{}",
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

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.site.path().join("desk.log")).unwrap_or_default()
    }

    pub fn admin_password(&self) -> String {
        std::fs::read_to_string(self.site.path().join("data/first-admin-password.txt"))
            .unwrap()
            .trim()
            .to_string()
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let mut req = agent.request(method, &format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.set("Cookie", c);
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let out = match form {
            Some(f) => req.send_form(f),
            None => req.call(),
        };
        Resp::read(out, &format!("{method} {path}"))
    }

    pub fn get(&self, path: &str, session: Option<&str>) -> Resp {
        let c = session.map(|s| format!("redress_session={s}"));
        self.request("GET", path, c.as_deref(), None, &[])
    }

    pub fn post(&self, path: &str, session: &str, form: &[(&str, &str)]) -> Resp {
        let c = format!("redress_session={session}");
        self.request("POST", path, Some(&c), Some(form), &[])
    }

    /// A `multipart/form-data` POST, as a browser sends a form with a file input:
    /// `fields` as text parts, then each file as (field, file name, type, bytes).
    pub fn post_multipart(
        &self,
        path: &str,
        session: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Resp {
        let boundary = "----redress-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, name, ctype, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let out = agent
            .post(&format!("{}{path}", self.base))
            .set("Cookie", &format!("redress_session={session}"))
            .set(
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send_bytes(&body);
        Resp::read(out, &format!("POST {path} (multipart)"))
    }

    /// The sign-in form filled in and sent, as a browser would.
    pub fn sign_in(&self, account: &str, password: &str) -> Resp {
        self.sign_in_with(account, password, &[])
    }

    /// The sign-in form sent with these extra headers (a proxy's `X-Forwarded-For`).
    pub fn sign_in_with(&self, account: &str, password: &str, headers: &[(&str, &str)]) -> Resp {
        let page = self.get("/sign-in", None);
        assert_eq!(page.status, 200);
        let token = page
            .cookie_value("redress_sign_in")
            .expect("sign-in cookie");
        assert_eq!(page.csrf(), token);
        let c = format!("redress_sign_in={token}");
        self.request(
            "POST",
            "/sign-in",
            Some(&c),
            Some(&[
                ("account", account),
                ("password", password),
                ("csrf", &token),
            ]),
            headers,
        )
    }

    /// Signed in: the session token.
    pub fn session(&self, account: &str, password: &str) -> String {
        let r = self.sign_in(account, password);
        assert_eq!(r.status, 303, "{}", r.body);
        r.cookie_value("redress_session").expect("session cookie")
    }

    /// The admin made on first start, signed in.
    pub fn admin(&self) -> String {
        self.session("admin", &self.admin_password())
    }
}

/// `redress user add NAME --role ROLE` (email NAME@council.example) with `password`
/// on stdin: whether it worked, and what it printed (stdout, then stderr).
pub fn try_add_user(site: &Site, name: &str, role: &str, password: &str) -> (bool, String) {
    let mut child = bin::redress()
        .args([
            "--config",
            "redress.toml",
            "user",
            "add",
            name,
            "--email",
            &format!("{name}@council.example"),
            "--role",
            role,
        ])
        .current_dir(site.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// `redress user add NAME --role ROLE` with the password on stdin.
pub fn add_user(site: &Site, name: &str, role: &str, password: &str) {
    let (ok, text) = try_add_user(site, name, role, password);
    assert!(ok, "{text}");
}
