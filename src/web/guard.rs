//! [`guard`], which every request passes (who is signed in, the CSRF token of every
//! POST, the throttle, the security headers), and [`User`], the signed-in user a
//! handler asks for.

#![allow(clippy::result_large_err)]

use super::*;
use axum::middleware::Next;

tokio::task_local! {
    /// Who is signed in, for the request being handled: [`App::context`] reads it
    /// when a page is drawn without a user at hand (an error page).
    pub(crate) static SIGNED_IN: SignedIn;
}

/// The signed-in user, for handlers: without one, a GET is sent to the sign-in page.
pub(crate) struct User(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .map(User)
            .ok_or_else(|| Redirect::to("/sign-in").into_response())
    }
}

impl User {
    /// The role guard: a page for `role` refuses anyone below it with 403.
    pub(crate) fn require(&self, app: &App, role: Role) -> Result<(), Response> {
        if self.0.role.allows(role) {
            Ok(())
        } else {
            Err(app.error(
                StatusCode::FORBIDDEN,
                "You cannot open this page",
                &format!("This page is for the {} role.", role.as_str()),
            ))
        }
    }
}

/// The client's address: from a trusted proxy, the last address in its
/// `client_address_header` (the one the proxy added; any before it came from the client
/// and could say anything); otherwise, or when that last one is not an address, the TCP
/// peer's.
pub(crate) fn client_address(
    cfg: &crate::config::Web,
    peer: &SocketAddr,
    headers: &axum::http::HeaderMap,
) -> String {
    if cfg.trusted_proxies.contains(&peer.ip()) {
        // Only the last entry: if it is not an address, an earlier one (the client's
        // own say) is not taken instead.
        let last = headers
            .get_all(cfg.client_address_header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|a| !a.is_empty());
        if let Some(ip) = last.and_then(|a| a.parse::<std::net::IpAddr>().ok()) {
            return ip.to_string();
        }
    }
    peer.ip().to_string()
}

/// Who is asking, every POST's CSRF token, and the headers on every response.
pub(super) async fn guard(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut set_session: Option<HeaderValue> = None;
    let mut response = 'resp: {
        if is_asset {
            break 'resp next.run(req).await;
        }
        // A trusted reverse proxy names the user by email; from anyone else the header is ignored.
        let proxied = if app.cfg.web.trusted_proxies.contains(&peer.ip()) {
            req.headers()
                .get(app.cfg.web.proxy_header.as_str())
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        } else {
            None
        };
        let token = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
        let idle = app.cfg.web.session_idle_hours;
        let address = client_address(&app.cfg.web, &peer, req.headers());
        // Sessions keep the real clock, under --now too: none would ever go idle.
        let now = Utc::now();
        let who = app
            .db(move |store, _| {
                let from_cookie = match &token {
                    Some(t) => accounts::session(store, t, now, idle)?,
                    None => None,
                };
                let Some(email) = proxied else {
                    return Ok(Ok((from_cookie, None)));
                };
                let Some(user) = accounts::proxy_user(store, &email)? else {
                    store.record_sign_in(
                        &email.to_lowercase(),
                        &address,
                        now,
                        false,
                        "proxy: no enabled account with this email",
                    )?;
                    tracing::info!(
                        address,
                        "sign-in refused: the proxy named no enabled account"
                    );
                    return Ok(Err(()));
                };
                if let Some(s) = from_cookie.filter(|s| s.user_id == user.id) {
                    return Ok(Ok((Some(s), None)));
                }
                let (token, s) = accounts::start_session(store, &user, now)?;
                store.record_sign_in(&user.name, &address, now, true, "proxy")?;
                tracing::info!(account = %user.name, address, "signed in by the trusted proxy");
                Ok(Ok((Some(s), Some(token))))
            })
            .await;
        let who = match who {
            Ok(Ok((who, new_token))) => {
                if let Some(t) = new_token {
                    set_session = Some(set_cookie(&app.cfg, SESSION_COOKIE, &t, "/", None));
                }
                who
            }
            Ok(Err(())) => {
                break 'resp app.error(
                    StatusCode::FORBIDDEN,
                    "You cannot use the complaints desk",
                    "Your sign-in does not match an account on the desk. Ask an administrator to add you.",
                )
            }
            Err(r) => break 'resp r,
        };
        if req.method() == Method::POST && req.uri().path() != "/sign-in" {
            let Some(w) = &who else {
                break 'resp app.error(
                    StatusCode::FORBIDDEN,
                    "You are not signed in",
                    "Sign in, then try again.",
                );
            };
            let (parts, body) = req.into_parts();
            let boundary = multipart_boundary(&parts.headers);
            // Files come only with a reply, up to what one letter may enclose.
            let files = boundary.is_some() && takes_files(parts.uri.path());
            let max_files = app.cfg.letters.max_letter_attachment_bytes;
            let limit = if files {
                MAX_FORM_BYTES + max_files as usize
            } else {
                MAX_FORM_BYTES
            };
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let until = body_deadline(declared.filter(|_| files).map(|n| n.min(limit as u64)));
            let read = if declared.is_some_and(|n| n > DRAIN_MAX) {
                Read::TooLarge
            } else {
                read_body(body, limit, declared, until).await
            };
            let bytes = match read {
                Read::Whole(b) => b,
                Read::TooLarge if files => {
                    break 'resp app.error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "The files are too large",
                        &format!(
                            "A reply's files may come to at most {} together. Nothing was changed: go back and choose smaller files.",
                            crate::plan::enclosure::size_text(max_files)
                        ),
                    )
                }
                Read::TooLarge => {
                    break 'resp app.error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "The form is too large",
                        "Nothing was changed.",
                    )
                }
                Read::TimedOut => break 'resp serve::too_slow(),
                Read::Broken => {
                    break 'resp app.error(
                        StatusCode::BAD_REQUEST,
                        "The form did not arrive whole",
                        "Nothing was changed: go back and try again.",
                    )
                }
            };
            let sent = match &boundary {
                Some(b) => multipart_field(b, bytes.clone(), "csrf").await,
                None => form_field(&bytes, "csrf"),
            }
            .unwrap_or_default();
            if !accounts::same_secret(sent.as_bytes(), w.csrf.as_bytes()) {
                tracing::info!(account = %w.name, path = parts.uri.path(), "POST refused: missing or wrong CSRF token");
                break 'resp app.error(
                    StatusCode::FORBIDDEN,
                    "This form has expired",
                    "The form did not come from this session of the desk. Nothing was changed: go back, reload the page and try again.",
                );
            }
            req = Request::from_parts(parts, Body::from(bytes));
        }
        match who {
            // Pages the handler draws itself (an error, a refusal) keep the header and
            // the navigation of whoever is signed in.
            Some(w) => {
                req.extensions_mut().insert(w.clone());
                SIGNED_IN.scope(w, next.run(req)).await
            }
            None => next.run(req).await,
        }
    };
    let cacheable = is_asset && response.status() == StatusCode::OK;
    let h = response.headers_mut();
    if let Some(c) = set_session {
        h.append(header::SET_COOKIE, c);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
