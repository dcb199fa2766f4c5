//! OAuth2 access tokens for the mailbox and the SMTP server (Microsoft 365, Google
//! Workspace): the client-credentials flow (`oauth2` crate, HTTP by ureq) with a client
//! secret or a certificate's signed assertion, or a Google service account's signed
//! grant (src/jwt.rs), tokens kept
//! in memory for the life of the process and fetched again shortly before they expire,
//! and the SASL strings (XOAUTH2, OAUTHBEARER) that carry them.
//!
//! A token request that fails is one line naming the endpoint and the provider's
//! `error` / `error_description`; the client secret never appears in it. Callers treat
//! it like an unreachable server: the daemon retries with its backoff, one-shot
//! commands exit non-zero with it.

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Oauth2Config;
use crate::jwt::Signer;

/// A token whose lifetime the provider did not say is taken to last this long.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// A token response larger than this is refused (a token is a few KB).
const MAX_RESPONSE: u64 = 1024 * 1024;

#[derive(Clone)]
struct Cached {
    token: String,
    fetched: Instant,
    lifetime: Duration,
}

impl Cached {
    /// Still good for use now: more than a tenth of its life (at most 60 s) is left.
    fn fresh(&self, now: Instant) -> bool {
        let margin = (self.lifetime / 10).min(Duration::from_secs(60));
        now + margin < self.fetched + self.lifetime
    }
}

/// Tokens by client (token URL, client id, scope): shared by every connection the
/// process makes, so a reconnect or a new send batch reuses a live token.
fn cache() -> &'static Mutex<HashMap<String, Cached>> {
    static CACHE: std::sync::OnceLock<Mutex<HashMap<String, Cached>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn key(cfg: &Oauth2Config) -> String {
    match &cfg.service_account_file {
        // A service account's token is for the one user it acts for.
        Some(f) => format!(
            "{}\n{}\n{}\n{}",
            cfg.token_url,
            f.display(),
            cfg.scope,
            user(cfg)
        ),
        None => format!("{}\n{}\n{}", cfg.token_url, cfg.client_id, cfg.scope),
    }
}

/// The mailbox (or sender) the token logs in as.
pub fn user(cfg: &Oauth2Config) -> &str {
    cfg.user.as_deref().unwrap_or("")
}

/// A live access token for `cfg`: the one in memory, or a new one from the token
/// endpoint. `what` ("imap", "smtp") starts the error line. Blocking (HTTP).
pub fn token(cfg: &Oauth2Config, what: &str) -> Result<String, String> {
    let k = key(cfg);
    if let Some(c) = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&k) {
        if c.fresh(Instant::now()) {
            return Ok(c.token.clone());
        }
    }
    let fetched = Instant::now();
    let (token, lifetime) = fetch(cfg, what)?;
    tracing::info!(
        client = %what,
        token_url = %cfg.token_url,
        expires_in_s = lifetime.as_secs(),
        "oauth2 token fetched"
    );
    cache().lock().unwrap_or_else(|e| e.into_inner()).insert(
        k,
        Cached {
            token: token.clone(),
            fetched,
            lifetime,
        },
    );
    Ok(token)
}

/// Forget the token in memory (the server refused it): the next [`token`] fetches anew.
pub fn forget(cfg: &Oauth2Config) {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key(cfg));
}

/// [`token`] from async code: the HTTP request runs on a blocking thread.
pub async fn token_async(cfg: &Oauth2Config, what: &'static str) -> Result<String, String> {
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || token(&cfg, what))
        .await
        .map_err(|e| format!("{what} oauth2: token request did not finish: {e}"))?
}

fn secret(cfg: &Oauth2Config, what: &str) -> Result<String, String> {
    if let Some(f) = &cfg.secret_file {
        let s = std::fs::read_to_string(f)
            .map_err(|e| format!("{what} oauth2: secret_file {}: {e}", f.display()))?;
        return Ok(s.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Some(var) = &cfg.secret_env {
        return std::env::var(var)
            .map_err(|_| format!("{what} oauth2: environment variable {var} is not set"));
    }
    Err(format!("{what} oauth2: set secret_file or secret_env"))
}

/// Why an HTTP exchange with the token endpoint failed (never holds the secret: it
/// travels in the request body, which no error repeats).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpError(String);

/// One POST by ureq, for the oauth2 crate. A 4xx/5xx answer is handed back as a
/// response (ureq 2 makes it an error), so that the crate reads the provider's
/// `error` and `error_description` from it.
fn http(agent: &ureq::Agent, req: HttpRequest) -> Result<HttpResponse, HttpError> {
    let mut r = agent.request(req.method().as_str(), &req.uri().to_string());
    for (name, value) in req.headers() {
        let v = value
            .to_str()
            .map_err(|_| HttpError(format!("header {name} is not text")))?;
        r = r.set(name.as_str(), v);
    }
    let resp = match r.send_bytes(req.body()) {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(ureq::Error::Transport(t)) => return Err(HttpError(t.to_string())),
    };
    let mut b = oauth2::http::Response::builder().status(resp.status());
    if let Some(ct) = resp.header("content-type") {
        b = b.header("content-type", ct);
    }
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_RESPONSE)
        .read_to_end(&mut body)
        .map_err(|e| HttpError(format!("reading the answer: {e}")))?;
    b.body(body).map_err(|e| HttpError(e.to_string()))
}

/// Text from a provider on one line, whitespace collapsed, at most 300 characters.
fn one_line(s: &str) -> String {
    let mut out = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect::<String>() + "...";
    }
    out
}

/// A token request that went wrong, as one line (never the secret or the assertion:
/// they travel in the request body, which no error repeats).
fn describe(what: &str, url: &str, e: RequestTokenError<HttpError, BasicErrorResponse>) -> String {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let mut msg = format!(
                "{what} oauth2: token request to {url} refused: {}",
                r.error()
            );
            if let Some(d) = r.error_description() {
                msg.push_str(": ");
                msg.push_str(&one_line(d));
            }
            msg
        }
        RequestTokenError::Request(e) => {
            format!(
                "{what} oauth2: token request to {url} failed: {}",
                one_line(&e.to_string())
            )
        }
        // Not the body: an answer that failed to parse may still hold a token.
        RequestTokenError::Parse(e, body) => not_a_token(what, url, body.len(), &e.to_string()),
        RequestTokenError::Other(m) => {
            format!(
                "{what} oauth2: token request to {url} failed: {}",
                one_line(&m)
            )
        }
    }
}

fn not_a_token(what: &str, url: &str, len: usize, why: &str) -> String {
    format!(
        "{what} oauth2: token request to {url}: the answer ({len} bytes) is not a token: {}",
        one_line(why)
    )
}

/// Now, in Unix seconds, for an assertion's `iat` and `exp` (the real clock: the
/// provider checks them against its own).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A new token and how long it lives: the client-credentials grant with a secret or a
/// certificate's client assertion, or a service account's JWT authorization grant.
fn fetch(cfg: &Oauth2Config, what: &str) -> Result<(String, Duration), String> {
    let url = cfg.token_url.trim();
    let token_url = TokenUrl::new(url.to_string())
        .map_err(|e| format!("{what} oauth2: token_url {url}: {e}"))?;
    crate::tls::install_provider();
    let tls = crate::tls::client_config(cfg.ca_file.as_deref())
        .map_err(|e| format!("{what} oauth2: {e}"))?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        // A token endpoint never redirects; following one could send the secret elsewhere.
        .redirects(0)
        .tls_config(Arc::clone(&tls))
        .build();
    let resp = match &cfg.signer {
        Some(Signer::ServiceAccount {
            key,
            client_email,
            private_key_id,
            token_uri,
        }) => {
            // Addressed to Google's token endpoint as the key file names it (Google:
            // "always https://oauth2.googleapis.com/token"), whatever URL it is posted to.
            let assertion = crate::jwt::grant_assertion(
                key,
                private_key_id,
                client_email,
                user(cfg),
                cfg.scope.trim(),
                token_uri,
                unix_now(),
            )
            .map_err(|e| format!("{what} oauth2: {e}"))?;
            jwt_grant(&agent, url, &assertion, what)?
        }
        signer => {
            let mut client = BasicClient::new(ClientId::new(cfg.client_id.clone()))
                .set_token_uri(token_url)
                // client_secret_post: what Entra ID and Google both document for this flow.
                .set_auth_type(AuthType::RequestBody);
            let assertion = match signer {
                Some(Signer::Certificate { key, x5t, x5t_s256 }) => Some(
                    crate::jwt::client_assertion(
                        x5t,
                        x5t_s256,
                        key,
                        &cfg.client_id,
                        url,
                        unix_now(),
                    )
                    .map_err(|e| format!("{what} oauth2: {e}"))?,
                ),
                _ => {
                    client = client.set_client_secret(ClientSecret::new(secret(cfg, what)?));
                    None
                }
            };
            let mut req = client.exchange_client_credentials();
            for s in cfg.scope.split_whitespace() {
                req = req.add_scope(Scope::new(s.to_string()));
            }
            if let Some(a) = assertion {
                req = req
                    .add_extra_param("client_assertion_type", CLIENT_ASSERTION_TYPE)
                    .add_extra_param("client_assertion", a);
            }
            req.request(&|r| http(&agent, r))
                .map_err(|e| describe(what, url, e))?
        }
    };
    let lifetime = resp.expires_in().unwrap_or(DEFAULT_LIFETIME);
    Ok((resp.access_token().secret().clone(), lifetime))
}

const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The RFC 7523 authorization grant (Google service accounts), which the oauth2 crate
/// has no request for: the same POST by [`http`], the answer read into its types.
fn jwt_grant(
    agent: &ureq::Agent,
    url: &str,
    assertion: &str,
    what: &str,
) -> Result<BasicTokenResponse, String> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", JWT_BEARER_GRANT)
        .append_pair("assertion", assertion)
        .finish();
    let req = oauth2::http::Request::builder()
        .method(oauth2::http::Method::POST)
        .uri(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body.into_bytes())
        .map_err(|e| format!("{what} oauth2: token_url {url}: {e}"))?;
    let resp = http(agent, req).map_err(|e| describe(what, url, RequestTokenError::Request(e)))?;
    let body = resp.body();
    if resp.status() != oauth2::http::StatusCode::OK {
        let e = match serde_json::from_slice::<BasicErrorResponse>(body) {
            Ok(r) => RequestTokenError::ServerResponse(r),
            Err(_) => RequestTokenError::Other(format!("HTTP status {}", resp.status())),
        };
        return Err(describe(what, url, e));
    }
    serde_json::from_slice(body).map_err(|e| not_a_token(what, url, body.len(), &e.to_string()))
}

/// The XOAUTH2 initial response (before base64), for IMAP and SMTP alike.
pub fn xoauth2(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// The OAUTHBEARER (RFC 7628) initial response (before base64).
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> String {
    // RFC 5801 gs2 escaping of the authzid: ',' and '=' are written =2C and =3D.
    let user = user.replace('=', "=3D").replace(',', "=2C");
    format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_strings_are_as_the_providers_document() {
        assert_eq!(
            xoauth2("complaints@council.gov.uk", "tok"),
            "user=complaints@council.gov.uk\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(
            oauthbearer("a,b=c@x", "imap.x", 993, "tok"),
            "n,a=a=2Cb=3Dc@x,\x01host=imap.x\x01port=993\x01auth=Bearer tok\x01\x01"
        );
    }

    #[test]
    fn a_token_is_renewed_before_it_expires() {
        let t0 = Instant::now();
        let hour = Cached {
            token: "t".into(),
            fetched: t0,
            lifetime: Duration::from_secs(3600),
        };
        assert!(hour.fresh(t0 + Duration::from_secs(3539)));
        assert!(!hour.fresh(t0 + Duration::from_secs(3541)), "60 s before");
        let short = Cached {
            lifetime: Duration::from_secs(3),
            ..hour
        };
        assert!(short.fresh(t0 + Duration::from_millis(2600)));
        assert!(!short.fresh(t0 + Duration::from_millis(2800)), "10% before");
    }

    #[test]
    fn provider_text_is_one_line() {
        assert_eq!(
            one_line("AADSTS7000215: Invalid client secret.\r\nTrace ID: x\r\n"),
            "AADSTS7000215: Invalid client secret. Trace ID: x"
        );
        assert!(one_line(&"x ".repeat(400)).len() < 310);
    }
}
