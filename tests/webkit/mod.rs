//! The desk through the real binary for tests: `redress web` on a free loopback port,
//! driven over HTTP with manual cookies (the minimal helpers of tests/web.rs).
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
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value cookie `name` is set to.
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let line = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .find(|c| c.starts_with(&format!("{name}=")))?;
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
    child: Child,
    base: String,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn web_site() -> Site {
    Site::with("lgsco-code", "EX", "[web]\nlisten = \"127.0.0.1:0\"\n")
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

impl Desk {
    /// `redress web` on the site, once it says where to sign in.
    pub fn start(site: Site) -> Desk {
        let log = std::fs::File::create(site.path().join("desk.log")).unwrap();
        let child = bin::redress()
            .args(["--config", "redress.toml", "web"])
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
    ) -> Resp {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let mut req = agent.request(method, &format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.set("Cookie", c);
        }
        let out = match form {
            Some(f) => req.send_form(f),
            None => req.call(),
        };
        let r = match out {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
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
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub fn get(&self, path: &str, session: &str) -> Resp {
        let c = format!("redress_session={session}");
        self.request("GET", path, Some(&c), None)
    }

    pub fn post(&self, path: &str, session: &str, form: &[(&str, &str)]) -> Resp {
        let c = format!("redress_session={session}");
        self.request("POST", path, Some(&c), Some(form))
    }

    /// Signed in as a browser would: the session token.
    pub fn session(&self, account: &str, password: &str) -> String {
        let page = self.request("GET", "/sign-in", None, None);
        assert_eq!(page.status, 200);
        let token = page
            .cookie_value("redress_sign_in")
            .expect("sign-in cookie");
        let c = format!("redress_sign_in={token}");
        let r = self.request(
            "POST",
            "/sign-in",
            Some(&c),
            Some(&[
                ("account", account),
                ("password", password),
                ("csrf", &token),
            ]),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        r.cookie_value("redress_session").expect("session cookie")
    }

    /// The admin made on first start, signed in.
    pub fn admin(&self) -> String {
        self.session("admin", &self.admin_password())
    }
}

/// `redress user add NAME --role ROLE` with the password on stdin.
pub fn add_user(site: &Site, name: &str, role: &str, password: &str) {
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
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}
