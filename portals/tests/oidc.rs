//! Logging in through an identity provider on another origin (AKTO's sandbox, in the manner of
//! Entra External ID; the code's tries on every portal whose provider e-mails one), in real
//! Chromium: the provider's pages, the return to the portal, the
//! code's tries, the forced password renewal and the provider's own session.

mod common;

use std::path::Path;
use std::time::Duration;

use browser::Browser;
use common::{Op, Outcome, filing, run_once, sandbox, with_browser};
use domain::OpcoId;
use portals::{Credentials, Filing, HumanInput, PortalError};
use recordings::{Recorder, Redactor, Store};
use sandboxes::{Account, Faults, RunningSandbox, SandboxConfig};
use secrecy::SecretString;

/// Every step of one attempt's recording.
fn steps(root: &Path, job: &str, attempt: u32) -> Vec<recordings::StepLine> {
    Store::new(root)
        .attempts(job)
        .unwrap()
        .into_iter()
        .find(|a| a.attempt == attempt)
        .unwrap_or_else(|| panic!("no attempt {attempt} of {job}"))
        .steps
}

/// How many times an attempt typed in the field with this label.
fn typed_in(root: &Path, job: &str, attempt: u32, label: &str) -> usize {
    steps(root, job, attempt)
        .iter()
        .filter(|s| s.action == "fill" && s.locator.as_deref().is_some_and(|l| l.contains(label)))
        .count()
}

fn wrong_code(right: &str) -> String {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
    .into()
}

fn code_asked(e: &PortalError) -> Option<(bool, Option<u32>)> {
    match e {
        PortalError::NeedsHuman {
            ask:
                HumanInput::TwoFactorCode {
                    previous_code_refused,
                    tries_left,
                    ..
                },
            ..
        } => Some((*previous_code_refused, *tries_left)),
        _ => None,
    }
}

/// A prefill with another account's login than the demo's.
async fn prefill_as(
    browser: &Browser,
    sb: &RunningSandbox,
    root: &Path,
    job: &str,
    account: &Account,
    filing: &Filing,
) -> Result<portals::Prefilled, PortalError> {
    let script = common::script_for(sb.portal());
    let ctx = browser.new_context().await.unwrap();
    let page = ctx.new_page().await.unwrap();
    let rec = Recorder::start(
        root,
        job,
        1,
        Redactor::new(&[SecretString::from(account.password.clone())]),
    )
    .unwrap();
    let credentials = Credentials {
        username: account.email.clone(),
        password: SecretString::from(account.password.clone()),
        two_factor_code: None,
    };
    let mut s = portals::Session::new(&page, &rec, sb.url(), credentials)
        .with_timeouts(Duration::from_secs(3), Duration::from_secs(10));
    let res = script.prefill(&mut s, filing).await;
    let _ = ctx.close().await;
    res
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn akto_logs_in_on_its_identity_providers_origin_and_prefills() {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Lefebvre");
        let sb = sandbox(OpcoId::Akto, Faults::default()).await;
        let idp = sb.idp_url().unwrap().to_owned();

        let e = run_once(browser, &sb, &root, "idp", 1, Op::Prefill, &f, None)
            .await
            .unwrap_err();
        assert_eq!(code_asked(&e), Some((false, None)), "{e:?}");
        // The code was asked on the provider's page, after the e-mail, « Suivant » and the
        // password were typed there.
        let first = steps(&root, "idp", 1);
        let asked = first
            .iter()
            .find(|s| s.action == "code requested")
            .expect("the page asking the code is recorded");
        assert!(
            asked.url.as_deref().unwrap().starts_with(&idp),
            "{:?}",
            asked.url
        );
        assert_eq!(typed_in(&root, "idp", 1, "Adresse e-mail"), 1);
        assert_eq!(typed_in(&root, "idp", 1, "Mot de passe"), 1);
        assert!(
            first.iter().any(|s| s.action == "click"
                && s.locator.as_deref().is_some_and(|l| l.contains("Suivant")))
        );
        assert!(sb.requests().is_empty(), "nothing done before the code");

        let code = common::code_for(&sb).unwrap();
        let done = run_once(
            browser,
            &sb,
            &root,
            "idp",
            2,
            Op::Prefill,
            &f,
            Some(code.clone()),
        )
        .await;
        assert!(matches!(done, Ok(Outcome::Prefilled(_))), "{done:?}");
        assert_eq!(sb.requests().len(), 1);
        assert_eq!(sb.requests()[0].files.len(), 3);
        assert!(sb.dossiers().is_empty());
        let second = steps(&root, "idp", 2);
        let logged_in = second.iter().find(|s| s.action == "logged in").unwrap();
        assert!(
            logged_in.url.as_deref().unwrap().starts_with(sb.url()),
            "back on the portal: {:?}",
            logged_in.url
        );
        // What was typed on the provider is masked like on the portal.
        for path in common::files_under(&root) {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(!text.contains("demo-mot-de-passe"), "{}", path.display());
            assert!(
                !text.contains(&code),
                "the code leaked into {}",
                path.display()
            );
        }
    })
    .await;
}

/// The portals that log in through an identity provider on another origin, from the registry.
fn portals_with_a_provider() -> Vec<OpcoId> {
    let found: Vec<OpcoId> = portals::SUPPORTED
        .iter()
        .copied()
        .filter(|&o| common::spec_of(o).idp.is_some())
        .collect();
    for expected in [OpcoId::Akto, OpcoId::OpcoMobilites, OpcoId::Ocapiat] {
        assert!(found.contains(&expected), "{found:?}");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_the_provider_makes_renew_its_password_stops_for_staff() {
    for portal in portals_with_a_provider() {
        a_forced_renewal_stops_for_staff(portal).await;
    }
}

async fn a_forced_renewal_stops_for_staff(portal: OpcoId) {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Roux");
        let flagged = Account {
            must_renew_password: true,
            ..Account::new("nouveau@entreprise.fr", "mot-de-passe-provisoire")
        };
        let mut config = SandboxConfig::new(portal);
        config.accounts.push(flagged.clone());
        let sb = sandboxes::spawn(config).await.unwrap();

        let e = prefill_as(browser, &sb, &root, "renew", &flagged, &f)
            .await
            .expect_err(portal.slug());
        match &e {
            PortalError::NeedsHuman {
                ask: HumanInput::PasswordRenewal { username },
                screenshot,
                ..
            } => {
                assert_eq!(username, &flagged.email);
                assert!(screenshot.as_ref().unwrap().exists());
            }
            other => panic!("{portal}: {other:?}"),
        }
        assert_eq!(e.class(), portals::ErrorClass::NeedsHuman);
        // Nothing typed past the password: no new password chosen, no code sent.
        assert_eq!(typed_in(&root, "renew", 1, "Nouveau mot de passe"), 0);
        assert!(sb.pending_code(&flagged.email).is_none());
        assert!(sb.requests().is_empty());
        // The same login stops the same way until a person renews it.
        let again = prefill_as(browser, &sb, &root, "renew2", &flagged, &f).await;
        assert!(
            matches!(
                again,
                Err(PortalError::NeedsHuman {
                    ask: HumanInput::PasswordRenewal { .. },
                    ..
                })
            ),
            "{portal}: {again:?}"
        );
    })
    .await;
}

/// The portals whose identity provider e-mails a code after the password (AKTO's, OPCO
/// Mobilités's single sign-on, …), from the registry.
fn portals_with_an_emailed_code() -> Vec<OpcoId> {
    let found: Vec<OpcoId> = portals::SUPPORTED
        .iter()
        .copied()
        .filter(|&o| common::spec_of(o).idp.is_some_and(|idp| idp.email_code))
        .collect();
    assert!(found.contains(&OpcoId::Akto), "{found:?}");
    assert!(found.contains(&OpcoId::OpcoMobilites), "{found:?}");
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_code_goes_back_to_staff_with_its_tries_left_and_is_never_typed_twice() {
    for portal in portals_with_an_emailed_code() {
        a_refused_code_is_never_typed_twice(portal).await;
    }
}

async fn a_refused_code_is_never_typed_twice(portal: OpcoId) {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Garnier");
        let sb = sandbox(portal, Faults::default()).await;
        let idp = sb.spec().idp.expect("an identity provider");
        let code_label = common::script_for(portal)
            .facts()
            .ui
            .two_factor_label
            .clone()
            .expect("the code's label in the facts");
        assert_eq!(
            code_label, idp.code_label,
            "{portal}: the facts name the provider's field"
        );
        let e = run_once(browser, &sb, &root, "tries", 1, Op::Prefill, &f, None)
            .await
            .unwrap_err();
        assert_eq!(code_asked(&e), Some((false, None)), "{e:?}");
        let code = common::code_for(&sb).unwrap();
        let wrong = wrong_code(&code);

        for (attempt, left) in [(2, 2), (3, 1), (4, 0)] {
            let e = run_once(
                browser,
                &sb,
                &root,
                "tries",
                attempt,
                Op::Prefill,
                &f,
                Some(wrong.clone()),
            )
            .await
            .unwrap_err();
            assert_eq!(code_asked(&e), Some((true, Some(left))), "{portal}: {e:?}");
            assert_eq!(
                typed_in(&root, "tries", attempt, &code_label),
                1,
                "{portal}: typed once, never retried"
            );
        }
        assert!(
            sb.pending_code(&Account::demo().email).is_none(),
            "{portal}: void"
        );
        assert!(sb.requests().is_empty(), "{portal}");

        // « Demander un nouveau code »: a run without a code gets a fresh one, which works.
        let e = run_once(browser, &sb, &root, "tries", 5, Op::Prefill, &f, None)
            .await
            .unwrap_err();
        assert_eq!(code_asked(&e), Some((false, None)), "{e:?}");
        let fresh = common::code_for(&sb).unwrap();
        let ok = run_once(
            browser,
            &sb,
            &root,
            "tries",
            6,
            Op::Prefill,
            &f,
            Some(fresh),
        )
        .await;
        assert!(matches!(ok, Ok(Outcome::Prefilled(_))), "{portal}: {ok:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_session_lost_mid_form_logs_in_again_through_the_providers_session() {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Chevalier");
        let sb = sandbox(
            OpcoId::Akto,
            Faults {
                expire_session_at_step: Some(2),
                ..Faults::default()
            },
        )
        .await;
        let e = run_once(browser, &sb, &root, "sso", 1, Op::Prefill, &f, None)
            .await
            .unwrap_err();
        assert_eq!(code_asked(&e), Some((false, None)), "{e:?}");
        let code = common::code_for(&sb).unwrap();
        let done = run_once(browser, &sb, &root, "sso", 2, Op::Prefill, &f, Some(code)).await;
        assert!(matches!(done, Ok(Outcome::Prefilled(_))), "{done:?}");
        assert!(
            sb.faults().expire_session_at_step.is_none(),
            "the session was lost once"
        );
        let second = steps(&root, "sso", 2);
        let logins = second
            .iter()
            .filter(|s| s.action.starts_with("logged in"))
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>();
        assert_eq!(
            logins,
            ["logged in", "logged in (single sign-on)"],
            "the second login came straight back from the provider"
        );
        assert_eq!(typed_in(&root, "sso", 2, "Mot de passe"), 1);
        assert!(common::code_for(&sb).is_none(), "no second code was asked");
        // One request, resumed, with its three attachments.
        assert_eq!(sb.requests().len(), 1);
        assert_eq!(sb.requests()[0].files.len(), 3);
    })
    .await;
}
