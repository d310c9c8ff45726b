//! Logging in through a sandbox's identity provider with plain HTTP, as a browser without
//! JavaScript would (the callback page's script is replaced by reading the fragment here).

#![allow(dead_code)]

use std::collections::BTreeMap;

use sandboxes::{IdpFlow, IdpSpec, RunningSandbox};

/// The sandbox's identity provider, which it must have.
pub fn idp(sb: &RunningSandbox) -> &'static IdpSpec {
    sb.spec()
        .idp
        .expect("this portal logs in through an identity provider")
}

/// The value of the hidden field `name` in a page.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden field {name} in {body}"))
        + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A browser's cookie jar, following redirects except the one back to a portal's callback
/// (reqwest drops the fragment of the URLs it follows, where a browser keeps it for the page).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|a| {
            let to_callback = sandboxes::SANDBOXED
                .iter()
                .filter_map(|s| s.idp)
                .any(|i| a.url().path() == i.callback_path);
            if to_callback { a.stop() } else { a.follow() }
        }))
        .build()
        .unwrap()
}

/// Where a response sends the browser: its `Location`, else its own URL.
pub fn back_url(resp: &reqwest::Response) -> reqwest::Url {
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(|l| resp.url().join(l).ok())
        .unwrap_or_else(|| resp.url().clone())
}

/// The pairs of a URL's fragment.
pub fn fragment(url: &reqwest::Url) -> BTreeMap<String, String> {
    let mut as_query = url.clone();
    as_query.set_query(url.fragment());
    as_query
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The pairs of a URL's query.
pub fn query(url: &reqwest::Url) -> BTreeMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A step of the provider's login form.
pub async fn post_step(
    sb: &RunningSandbox,
    c: &reqwest::Client,
    step: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(format!(
        "{}{}/{step}",
        sb.idp_url().unwrap(),
        idp(sb).authorize_path
    ))
    .form(form)
    .send()
    .await
    .unwrap()
}

/// Opens the portal's login: the provider's e-mail page, its transaction id and the
/// authorization request's URL.
pub async fn start_login(sb: &RunningSandbox, c: &reqwest::Client) -> (String, reqwest::Url) {
    let resp = c.get(sb.login_url()).send().await.unwrap();
    let url = resp.url().clone();
    let body = resp.text().await.unwrap();
    (hidden(&body, "tx"), url)
}

/// E-mail, password and the code "read in the mailbox": the response that sends the browser
/// back to the portal's callback, whose URL carries the fragment.
pub async fn sign_in(
    sb: &RunningSandbox,
    c: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let (tx, _) = start_login(sb, c).await;
    let resp = if idp(sb).next_button.is_some() {
        post_step(sb, c, "email", &[("tx", &tx), ("email", email)]).await;
        post_step(sb, c, "password", &[("tx", &tx), ("password", password)]).await
    } else {
        // Keycloak's one page: the identifier goes with the password.
        let form = [
            ("tx", tx.as_str()),
            ("email", email),
            ("password", password),
        ];
        post_step(sb, c, "password", &form).await
    };
    if !idp(sb).email_code {
        return resp;
    }
    let code = sb.pending_code(email).expect("a code was sent");
    post_step(sb, c, "code", &[("tx", &tx), ("code", &code)]).await
}

/// Posts what the callback page's script posts: the fragment's code and state.
pub async fn callback(
    sb: &RunningSandbox,
    c: &reqwest::Client,
    code: &str,
    state: &str,
) -> reqwest::Response {
    c.post(format!("{}{}", sb.url(), idp(sb).callback_path))
        .form(&[("code", code), ("state", state)])
        .send()
        .await
        .unwrap()
}

/// The whole login: ends on the portal's home page (behind a site picker, the first
/// establishment's, as a person would pick it).
pub async fn login(
    sb: &RunningSandbox,
    c: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let back = sign_in(sb, c, email, password).await;
    let url = back_url(&back);
    let landed = match idp(sb).flow {
        IdpFlow::OidcFragment => {
            let f = fragment(&url);
            callback(sb, c, &f["code"], &f["state"]).await
        }
        // The central login's ticket is in the query: the portal redeems it itself.
        IdpFlow::ReturnUrl => c.get(url).send().await.unwrap(),
    };
    match sb.spec().site_picker {
        Some(picker) => c
            .get(format!("{}{}/0", sb.url(), picker.path))
            .send()
            .await
            .unwrap(),
        None => landed,
    }
}
