//! The sandboxes' identity provider over plain HTTP: the authorization request, `state`,
//! `nonce`, single-use codes bound to their `redirect_uri`, the code's tries, the provider's own
//! session, the forced password renewal and the failure switches.

mod common;

use common::{back_url, callback, fragment, hidden, idp, post_step, query, sign_in, start_login};
use domain::OpcoId;
use sandboxes::{Account, Faults, RunningSandbox, SandboxConfig};

fn client() -> reqwest::Client {
    common::client()
}

async fn akto(faults: Faults, accounts: Vec<Account>) -> RunningSandbox {
    let mut config = SandboxConfig::new(OpcoId::Akto);
    config.faults = faults;
    config.accounts.extend(accounts);
    sandboxes::spawn(config).await.unwrap()
}

fn escaped(s: &str) -> String {
    s.replace('\'', "&#39;")
}

fn demo() -> Account {
    Account::demo()
}

#[tokio::test]
async fn the_portal_sends_the_browser_to_the_provider_with_a_fresh_state_and_nonce() {
    let sb = akto(Faults::default(), vec![]).await;
    let spec = idp(&sb);
    let idp_url = sb.idp_url().unwrap();
    assert_ne!(idp_url, sb.url(), "another origin");
    let (_, first) = start_login(&sb, &client()).await;
    assert!(first.as_str().starts_with(idp_url), "{first}");
    assert_eq!(first.path(), spec.authorize_path);
    assert!(first.path().ends_with("/oauth2/v2.0/authorize"));
    let q = query(&first);
    assert_eq!(q["client_id"], spec.client_id);
    assert_eq!(
        q["redirect_uri"],
        format!("{}{}", sb.url(), spec.callback_path)
    );
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["response_mode"], "fragment");
    assert_eq!(q["scope"], "openid");
    assert!(q["state"].len() >= 16 && q["nonce"].len() >= 16, "{q:?}");
    let (_, second) = start_login(&sb, &client()).await;
    let q2 = query(&second);
    assert_ne!(q["state"], q2["state"]);
    assert_ne!(q["nonce"], q2["nonce"]);
}

#[tokio::test]
async fn a_login_comes_back_in_the_fragment_and_its_code_opens_the_portal_once() {
    let sb = akto(Faults::default(), vec![]).await;
    let c = client();
    let (tx, authorize) = start_login(&sb, &c).await;
    let sent_state = query(&authorize)["state"].clone();
    let page = post_step(&sb, &c, "email", &[("tx", &tx), ("email", &demo().email)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(idp(&sb).password_label), "{page}");
    let page = post_step(
        &sb,
        &c,
        "password",
        &[("tx", &tx), ("password", &demo().password)],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains(idp(&sb).code_prompt), "{page}");
    let code = sb.pending_code(&demo().email).unwrap();
    let back = post_step(&sb, &c, "code", &[("tx", &tx), ("code", &code)]).await;
    let url = back_url(&back);
    assert!(url.as_str().starts_with(sb.url()), "{url}");
    assert_eq!(url.path(), idp(&sb).callback_path);
    assert!(
        url.query().is_none(),
        "the code travels in the fragment: {url}"
    );
    let f = fragment(&url);
    assert_eq!(f["state"], sent_state);
    let body = c.get(url).send().await.unwrap().text().await.unwrap();
    assert!(
        body.contains("location.hash"),
        "the callback reads the fragment"
    );

    let home = callback(&sb, &c, &f["code"], &f["state"]).await;
    assert_eq!(home.status(), 200);
    assert_eq!(home.url().path(), sb.spec().home_path);
    assert!(home.text().await.unwrap().contains(sb.spec().list_title));

    // The same code and state again (a replay): refused, no session given.
    let other = client();
    let replay = callback(&sb, &other, &f["code"], &f["state"]).await;
    assert_eq!(replay.status(), 400);
    let replay = callback(&sb, &c, &f["code"], &f["state"]).await;
    assert_eq!(replay.status(), 400);
}

#[tokio::test]
async fn a_state_the_portal_did_not_send_to_this_browser_is_refused() {
    let sb = akto(Faults::default(), vec![]).await;
    let c = client();
    let back = sign_in(&sb, &c, &demo().email, &demo().password).await;
    let f = fragment(&back_url(&back));
    let forged = callback(&sb, &c, &f["code"], "0123456789abcdef0123456789abcdef").await;
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("state"));
    // The right state from another browser (without the portal's cookie) is refused too.
    let elsewhere = callback(&sb, &client(), &f["code"], &f["state"]).await;
    assert_eq!(elsewhere.status(), 400);
    // No session came of either.
    let list = c
        .get(format!("{}{}", sb.url(), sb.spec().home_path))
        .send()
        .await
        .unwrap();
    assert!(
        list.url().path().starts_with(sb.spec().login_path)
            || list.url().as_str().starts_with(sb.idp_url().unwrap()),
        "{}",
        list.url()
    );
}

#[tokio::test]
async fn a_code_redeems_once_for_its_own_redirect_uri_with_its_nonce() {
    let sb = akto(Faults::default(), vec![]).await;
    let spec = idp(&sb);
    let token = format!("{}{}", sb.idp_url().unwrap(), spec.token_path);
    let redirect = format!("{}{}", sb.url(), spec.callback_path);
    let c = client();
    let redeem = |code: String, redirect: String| {
        let c = c.clone();
        let token = token.clone();
        async move {
            c.post(&token)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &redirect),
                    ("client_id", spec.client_id),
                ])
                .send()
                .await
                .unwrap()
        }
    };

    let browser = client();
    let back = sign_in(&sb, &browser, &demo().email, &demo().password).await;
    let code = fragment(&back_url(&back))["code"].clone();
    let wrong = redeem(code.clone(), "http://127.0.0.1:1/ailleurs".into()).await;
    assert_eq!(wrong.status(), 400);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // A code shown to the wrong party is void: the right redirect_uri no longer redeems it.
    assert_eq!(redeem(code, redirect.clone()).await.status(), 400);

    // A fresh login: its code redeems once, bound to the nonce the portal sent.
    let browser = client();
    let (tx, authorize) = start_login(&sb, &browser).await;
    let nonce = query(&authorize)["nonce"].clone();
    post_step(
        &sb,
        &browser,
        "email",
        &[("tx", &tx), ("email", &demo().email)],
    )
    .await;
    post_step(
        &sb,
        &browser,
        "password",
        &[("tx", &tx), ("password", &demo().password)],
    )
    .await;
    let otp = sb.pending_code(&demo().email).unwrap();
    let back = post_step(&sb, &browser, "code", &[("tx", &tx), ("code", &otp)]).await;
    let code = fragment(&back_url(&back))["code"].clone();
    let ok = redeem(code.clone(), redirect.clone()).await;
    assert_eq!(ok.status(), 200);
    let claims: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(claims["nonce"], nonce.as_str());
    assert_eq!(claims["email"], demo().email.as_str());
    assert_eq!(redeem(code, redirect).await.status(), 400, "single use");
}

#[tokio::test]
async fn an_authorization_request_for_another_redirect_uri_or_client_is_refused_without_redirecting()
 {
    let sb = akto(Faults::default(), vec![]).await;
    let spec = idp(&sb);
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, good) = start_login(&sb, &client()).await;
    for (key, value) in [
        ("redirect_uri", "http://127.0.0.1:1/auth/callback"),
        ("client_id", "un-autre-client"),
        ("response_mode", "query"),
        ("state", ""),
    ] {
        let mut url = good.clone();
        let pairs: Vec<(String, String)> = query(&good)
            .into_iter()
            .map(|(k, v)| {
                if k == key {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        let resp = c.get(url).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{key}");
        assert!(resp.headers().get("location").is_none(), "{key}");
    }
    assert!(spec.authorize_path.starts_with('/'));
}

#[tokio::test]
async fn a_wrong_code_says_the_tries_left_and_the_third_makes_the_code_void() {
    let sb = akto(Faults::default(), vec![]).await;
    let spec = idp(&sb);
    let c = client();
    let (tx, _) = start_login(&sb, &c).await;
    post_step(&sb, &c, "email", &[("tx", &tx), ("email", &demo().email)]).await;
    post_step(
        &sb,
        &c,
        "password",
        &[("tx", &tx), ("password", &demo().password)],
    )
    .await;
    let code = sb.pending_code(&demo().email).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in [2, 1] {
        let page = post_step(&sb, &c, "code", &[("tx", &tx), ("code", wrong)])
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&spec.code_wrong.replace("{n}", &left.to_string())),
            "{page}"
        );
        assert_eq!(
            sb.pending_code(&demo().email).as_deref(),
            Some(code.as_str())
        );
    }
    let page = post_step(&sb, &c, "code", &[("tx", &tx), ("code", wrong)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&escaped(spec.code_void)), "{page}");
    assert!(page.contains(spec.resend_button));
    assert!(!page.contains(spec.code_label), "no field for a void code");
    assert_eq!(sb.pending_code(&demo().email), None, "the code is void");
    // The right code, too late: still void.
    let page = post_step(&sb, &c, "code", &[("tx", &tx), ("code", &code)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&escaped(spec.code_void)), "{page}");

    // A new code has three tries again and logs in.
    let page = post_step(&sb, &c, "resend", &[("tx", &tx)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(spec.code_label));
    let fresh = sb.pending_code(&demo().email).unwrap();
    let back = post_step(&sb, &c, "code", &[("tx", &tx), ("code", &fresh)]).await;
    assert_eq!(back_url(&back).path(), spec.callback_path);
}

#[tokio::test]
async fn a_code_still_valid_is_not_sent_again_and_keeps_its_tries_across_logins() {
    let sb = akto(Faults::default(), vec![]).await;
    let spec = idp(&sb);
    let c = client();
    let (tx, _) = start_login(&sb, &c).await;
    post_step(&sb, &c, "email", &[("tx", &tx), ("email", &demo().email)]).await;
    post_step(
        &sb,
        &c,
        "password",
        &[("tx", &tx), ("password", &demo().password)],
    )
    .await;
    let first = sb.pending_code(&demo().email).unwrap();
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    post_step(&sb, &c, "code", &[("tx", &tx), ("code", wrong)]).await;

    // Another browser, later: the same code (a person may be reading it), one try fewer.
    let c2 = client();
    let (tx2, _) = start_login(&sb, &c2).await;
    post_step(&sb, &c2, "email", &[("tx", &tx2), ("email", &demo().email)]).await;
    post_step(
        &sb,
        &c2,
        "password",
        &[("tx", &tx2), ("password", &demo().password)],
    )
    .await;
    assert_eq!(sb.pending_code(&demo().email).unwrap(), first);
    let page = post_step(&sb, &c2, "code", &[("tx", &tx2), ("code", wrong)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&spec.code_wrong.replace("{n}", "1")),
        "{page}"
    );
}

#[tokio::test]
async fn the_providers_own_session_sends_a_second_login_straight_back() {
    let sb = akto(Faults::default(), vec![]).await;
    let c = client();
    let home = common::login(&sb, &c, &demo().email, &demo().password).await;
    assert_eq!(home.url().path(), sb.spec().home_path);
    // The portal forgets the browser (its session expired); the provider does not.
    let again = c.get(sb.login_url()).send().await.unwrap();
    assert_eq!(
        back_url(&again).path(),
        idp(&sb).callback_path,
        "no form shown"
    );
    let f = fragment(&back_url(&again));
    let home = callback(&sb, &c, &f["code"], &f["state"]).await;
    assert_eq!(home.url().path(), sb.spec().home_path);
    assert!(sb.pending_code(&demo().email).is_none(), "no code asked");
}

#[tokio::test]
async fn an_account_flagged_for_renewal_must_choose_a_new_password_first() {
    let flagged = Account {
        must_renew_password: true,
        ..Account::new("premiere@entreprise.fr", "mot-de-passe-initial")
    };
    let sb = akto(Faults::default(), vec![flagged.clone()]).await;
    let spec = idp(&sb);
    let c = client();
    let (tx, _) = start_login(&sb, &c).await;
    post_step(&sb, &c, "email", &[("tx", &tx), ("email", &flagged.email)]).await;
    let page = post_step(
        &sb,
        &c,
        "password",
        &[("tx", &tx), ("password", &flagged.password)],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains(&escaped(spec.renewal_title)), "{page}");
    assert!(page.contains(spec.new_password_label));
    assert!(
        sb.pending_code(&flagged.email).is_none(),
        "no code before the renewal"
    );
    let page = post_step(
        &sb,
        &c,
        "renewal",
        &[
            ("tx", &tx),
            ("new_password", "nouveau-mot-de-passe-1"),
            ("confirm_password", "nouveau-mot-de-passe-2"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains(&escaped(spec.renewal_title)), "{page}");
    let page = post_step(
        &sb,
        &c,
        "renewal",
        &[
            ("tx", &tx),
            ("new_password", "nouveau-mot-de-passe-1"),
            ("confirm_password", "nouveau-mot-de-passe-1"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains(spec.code_label), "{page}");
    // The old password no longer opens the account; the new one does, without a renewal.
    let c2 = client();
    let (tx2, _) = start_login(&sb, &c2).await;
    post_step(
        &sb,
        &c2,
        "email",
        &[("tx", &tx2), ("email", &flagged.email)],
    )
    .await;
    let page = post_step(
        &sb,
        &c2,
        "password",
        &[("tx", &tx2), ("password", &flagged.password)],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains(&escaped(spec.login_error)), "{page}");
    let home = common::login(&sb, &client(), &flagged.email, "nouveau-mot-de-passe-1").await;
    assert_eq!(home.url().path(), sb.spec().home_path);
}

#[tokio::test]
async fn ocapiats_keycloak_asks_identifier_and_password_on_one_page_and_renews_a_first_login() {
    let flagged = Account {
        must_renew_password: true,
        ..Account::new("premiere@exploitation.fr", "mot-de-passe-initial")
    };
    let mut config = SandboxConfig::new(OpcoId::Ocapiat);
    config.accounts.push(flagged.clone());
    let sb = sandboxes::spawn(config).await.unwrap();
    let spec = idp(&sb);
    assert!(spec.next_button.is_none() && !spec.email_code);
    let c = client();
    let (tx, first) = start_login(&sb, &c).await;
    assert!(first.path().starts_with("/auth/realms/"), "{first}");
    assert!(first.path().ends_with("/protocol/openid-connect/auth"));
    assert_eq!(query(&first)["response_mode"], "fragment");
    let page = c.get(first).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&escaped(spec.email_label)), "{page}");
    assert!(
        page.contains(spec.password_label),
        "one page asks both: {page}"
    );

    // A wrong password: the same page again, with the error and both fields.
    let form = [
        ("tx", tx.as_str()),
        ("email", &demo().email),
        ("password", "pas-le-bon"),
    ];
    let page = post_step(&sb, &c, "password", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&escaped(spec.login_error)), "{page}");
    assert!(page.contains(&escaped(spec.email_label)), "{page}");
    // The right one, on the same transaction: back to the portal with a code, none e-mailed.
    let form = [
        ("tx", tx.as_str()),
        ("email", &demo().email),
        ("password", &demo().password),
    ];
    let back = post_step(&sb, &c, "password", &form).await;
    let url = back_url(&back);
    assert_eq!(url.path(), spec.callback_path, "{url}");
    assert!(sb.pending_code(&demo().email).is_none());
    let f = fragment(&url);
    let home = callback(&sb, &c, &f["code"], &f["state"]).await;
    assert_eq!(home.url().path(), sb.spec().home_path);

    // The first login of a new account: a new password before anything else.
    let c = client();
    let (tx, _) = start_login(&sb, &c).await;
    let form = [
        ("tx", tx.as_str()),
        ("email", &flagged.email),
        ("password", &flagged.password),
    ];
    let page = post_step(&sb, &c, "password", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&escaped(spec.renewal_title)), "{page}");
    assert!(page.contains(spec.new_password_label), "{page}");
}

#[tokio::test]
async fn the_failure_switches_reach_the_identity_provider() {
    let sb = akto(Faults::default(), vec![]).await;
    let spec = idp(&sb);
    let c = client();

    let (tx, _) = start_login(&sb, &c).await;
    post_step(&sb, &c, "email", &[("tx", &tx), ("email", &demo().email)]).await;
    let page = post_step(&sb, &c, "password", &[("tx", &tx), ("password", "faux")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&escaped(spec.login_error)), "{page}");
    assert!(sb.pending_code(&demo().email).is_none());

    let (_, authorize) = start_login(&sb, &client()).await;
    sb.set_faults(Faults {
        captcha: true,
        ..Faults::default()
    });
    let page = c
        .get(authorize.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&escaped(spec.captcha_title)), "{page}");

    sb.set_faults(Faults {
        maintenance: true,
        ..Faults::default()
    });
    let resp = c.get(authorize.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.text().await.unwrap().contains(spec.maintenance_title));

    sb.set_faults(Faults {
        http_500: 1,
        ..Faults::default()
    });
    let resp = c.get(authorize.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 500);
    let resp = c.get(authorize).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(hidden(&resp.text().await.unwrap(), "tx").len() >= 16);
}

#[tokio::test]
async fn a_code_bound_to_another_nonce_does_not_open_the_portal() {
    let sb = akto(Faults::default(), vec![]).await;
    let c = client();
    // A first login's code, not posted back.
    let first = sign_in(&sb, &c, &demo().email, &demo().password).await;
    let first_code = fragment(&back_url(&first))["code"].clone();
    // A second login from the same browser (straight back through the provider's session): the
    // portal now waits for the second state, whose nonce is not the first code's.
    let second = c.get(sb.login_url()).send().await.unwrap();
    let second_state = fragment(&back_url(&second))["state"].clone();
    let mixed = callback(&sb, &c, &first_code, &second_state).await;
    assert_eq!(mixed.status(), 400);
    assert!(mixed.text().await.unwrap().contains("invalide"));
}

#[tokio::test]
async fn lopcommerces_central_login_returns_with_a_single_use_ticket_then_a_site_picker_opens_one_space()
 {
    let sb = sandboxes::spawn(SandboxConfig::new(OpcoId::Opcommerce))
        .await
        .unwrap();
    let spec = idp(&sb);
    let picker = sb
        .spec()
        .site_picker
        .expect("L'Opcommerce has a site picker");
    let c = client();
    let (tx, first) = start_login(&sb, &c).await;
    assert_eq!(first.path(), spec.authorize_path, "{first}");
    let own = format!("{}{}", sb.url(), spec.callback_path);
    assert_eq!(query(&first)["ReturnUrl"], own);
    // Another return address is refused: the login sends nobody elsewhere.
    let foreign = c
        .get(format!(
            "{}{}?ReturnUrl=http%3A%2F%2Fautre.example%2Fforconet%2FAccount%2FSignIn",
            sb.idp_url().unwrap(),
            spec.authorize_path
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 400);

    let form = [
        ("tx", tx.as_str()),
        ("email", &demo().email),
        ("password", &demo().password),
    ];
    let back = post_step(&sb, &c, "password", &form).await;
    let url = back_url(&back);
    assert_eq!(url.path(), spec.callback_path, "{url}");
    assert!(url.fragment().is_none(), "{url}");
    assert!(!query(&url)["ticket"].is_empty(), "{url}");
    let landed = c.get(url.clone()).send().await.unwrap();
    assert_eq!(landed.url().path(), picker.path);
    let page = landed.text().await.unwrap();
    assert!(
        page.contains("732 829 320 00074") && page.contains("732 829 320 00082"),
        "{page}"
    );
    // The ticket serves once.
    let again = client().get(url).send().await.unwrap();
    assert_eq!(again.status(), 400);

    // No space before an establishment is chosen; then each space holds its own requests.
    let home = format!("{}{}", sb.url(), sb.spec().home_path);
    let before = c.get(&home).send().await.unwrap();
    assert_eq!(before.url().path(), picker.path);
    let second = c
        .get(format!("{}{}/1", sb.url(), picker.path))
        .send()
        .await
        .unwrap();
    assert_eq!(second.url().path(), sb.spec().home_path);
    assert!(second.text().await.unwrap().contains("00082"));
    c.post(format!("{home}/nouvelle")).send().await.unwrap();
    let requests = sb.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].site.as_deref(), Some("73282932000082"));
    let resume = escaped(sb.spec().resume_link);
    assert!(
        c.get(&home)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(&resume)
    );
    c.get(format!("{}{}/0", sb.url(), picker.path))
        .send()
        .await
        .unwrap();
    let first_space = c.get(&home).send().await.unwrap().text().await.unwrap();
    assert!(
        !first_space.contains(&resume),
        "another establishment's draft is listed: {first_space}"
    );
}
