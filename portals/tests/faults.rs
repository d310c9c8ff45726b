//! Each failure switch and layout variant of the sandboxes ends as its right error class, in real
//! Chromium, and never as a wrong or double filing.

mod common;

use std::time::Duration;

use common::{Op, Outcome, filing, run, run_once, run_with, sandbox, with_browser};
use domain::OpcoId;
use portals::{ErrorClass, HumanInput, PermanentReason, PortalError};
use sandboxes::{Account, Faults, Layout, SandboxConfig, SiteList};

fn with(f: impl FnOnce(&mut Faults)) -> Faults {
    let mut faults = Faults::default();
    f(&mut faults);
    faults
}

fn assert_screenshot(e: &PortalError) {
    let shot = e
        .screenshot()
        .unwrap_or_else(|| panic!("no screenshot: {e:?}"));
    assert!(
        std::fs::read(shot).unwrap().starts_with(b"\x89PNG"),
        "{e:?}"
    );
}

async fn failure_paths(portal: OpcoId) {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Martin");
        let spec = common::spec_of(portal);

        // Changed markup, same labels: the script still prefills and submits.
        let sb = sandbox(portal, with(|x| x.layout = Layout::ChangedMarkup)).await;
        let done = run(browser, &sb, &root, "cm1", Op::Prefill, &f).await;
        assert!(
            matches!(done, Ok(Outcome::Prefilled(_))),
            "{portal}: {done:?}"
        );
        let submitted = run(browser, &sb, &root, "cm2", Op::Submit, &f).await;
        assert!(
            matches!(submitted, Ok(Outcome::Submitted(_))),
            "{portal}: {submitted:?}"
        );
        assert_eq!(sb.dossiers().len(), 1);

        // A renamed label stops the script with the step and a screenshot.
        let sb = sandbox(portal, with(|x| x.layout = Layout::RenamedLabel)).await;
        let e = run(browser, &sb, &root, "rl", Op::Prefill, &f)
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::PortalChanged, "{portal}: {e:?}");
        // Either the old label is missing or the new one is an unknown mandatory field.
        let old = spec.field(spec.renamed.1).unwrap().label;
        let msg = e.to_string();
        assert!(
            msg.contains(old) || msg.contains(spec.renamed.2),
            "{portal}: {msg}"
        );
        assert_screenshot(&e);

        // A new mandatory field stops it too, naming the field.
        let sb = sandbox(portal, with(|x| x.layout = Layout::NewMandatoryField)).await;
        let e = run(browser, &sb, &root, "nm", Op::Prefill, &f)
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::PortalChanged, "{portal}: {e:?}");
        assert!(
            e.to_string().contains(spec.new_mandatory.1.label),
            "{portal}: {e}"
        );
        assert_screenshot(&e);
        assert!(sb.dossiers().is_empty());

        // Slow pages within the limits still work; beyond them the attempt is retryable.
        let sb = sandbox(portal, with(|x| x.slow_ms = 150)).await;
        let done = run(browser, &sb, &root, "sl", Op::Prefill, &f).await;
        assert!(
            matches!(done, Ok(Outcome::Prefilled(_))),
            "{portal}: {done:?}"
        );
        sb.set_faults(with(|x| x.slow_ms = 2_500));
        let e = run_with(
            browser,
            &sb,
            &root,
            "sl2",
            1,
            Op::Statuses,
            &f,
            None,
            Duration::from_secs(1),
        )
        .await
        .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Retryable, "{portal}: {e:?}");

        // HTTP 500: retryable, and the retry succeeds.
        let sb = sandbox(portal, with(|x| x.http_500 = 1)).await;
        let e = run(browser, &sb, &root, "500", Op::Prefill, &f)
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Retryable, "{portal}: {e:?}");
        assert_screenshot(&e);
        let done = run(browser, &sb, &root, "500b", Op::Prefill, &f).await;
        assert!(
            matches!(done, Ok(Outcome::Prefilled(_))),
            "{portal}: {done:?}"
        );

        // Session expired mid-form: the script logs in again and finishes, on one request.
        let sb = sandbox(portal, with(|x| x.expire_session_at_step = Some(2))).await;
        let mut p = run(browser, &sb, &root, "exp", Op::Prefill, &f).await;
        // Through an identity provider, its own session logs the browser in again without a form.
        if spec.two_factor && spec.idp.is_none() {
            // Logging in again means a new code by e-mail: a person is asked, then it resumes.
            assert!(
                matches!(
                    &p,
                    Err(PortalError::NeedsHuman {
                        ask: HumanInput::TwoFactorCode {
                            previous_code_refused: false,
                            ..
                        },
                        ..
                    })
                ),
                "{p:?}"
            );
            let code = common::code_for(&sb).unwrap();
            p = run_once(browser, &sb, &root, "exp", 3, Op::Prefill, &f, Some(code)).await;
        }
        assert!(matches!(p, Ok(Outcome::Prefilled(_))), "{portal}: {p:?}");
        assert!(
            sb.faults().expire_session_at_step.is_none(),
            "the switch fired"
        );
        assert_eq!(sb.requests().len(), 1);
        assert_eq!(sb.requests()[0].files.len(), 3);

        // Upload refused: a permanent error carrying the portal's message.
        let sb = sandbox(portal, with(|x| x.refuse_uploads = true)).await;
        let e = run(browser, &sb, &root, "up", Op::Prefill, &f)
            .await
            .unwrap_err();
        match &e {
            PortalError::Permanent {
                reason: PermanentReason::UploadRefused { message, .. },
                ..
            } => {
                assert!(message.contains(spec.upload_refused), "{message}");
            }
            other => panic!("{portal}: {other:?}"),
        }
        assert_screenshot(&e);

        // CAPTCHA: a human is needed.
        let sb = sandbox(portal, with(|x| x.captcha = true)).await;
        let e = run(browser, &sb, &root, "cap", Op::Prefill, &f)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                PortalError::NeedsHuman {
                    ask: HumanInput::Captcha,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_screenshot(&e);

        // Maintenance: retryable.
        let sb = sandbox(portal, with(|x| x.maintenance = true)).await;
        let e = run(browser, &sb, &root, "mnt", Op::Prefill, &f)
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Retryable, "{e:?}");

        // Wrong password: permanent, and the password is nowhere in the recording.
        let mut config = SandboxConfig::new(portal);
        config.accounts = vec![Account::new(Account::demo().email, "un-autre-mot-de-passe")];
        let sb = sandboxes::spawn(config).await.unwrap();
        let e = run(browser, &sb, &root, "bad", Op::Prefill, &f)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                PortalError::Permanent {
                    reason: PermanentReason::BadCredentials,
                    ..
                }
            ),
            "{e:?}"
        );

        // Values changed after review: the submit stops and sends the filing back, filing nothing.
        let sb = sandbox(portal, Faults::default()).await;
        assert!(
            run(browser, &sb, &root, "vd1", Op::Prefill, &f)
                .await
                .is_ok()
        );
        let mut confirmed = f.clone();
        confirmed.action.cost_ht = domain::Euros::from_cents(175_000);
        let e = run(browser, &sb, &root, "vd2", Op::Submit, &confirmed)
            .await
            .unwrap_err();
        match &e {
            PortalError::ValuesDiffer { differences, .. } => {
                assert_eq!(differences.len(), 1, "{differences:?}");
                assert_eq!(differences[0].expected, "1750,00");
                assert_eq!(differences[0].found, "1800,00");
            }
            other => panic!("{portal}: {other:?}"),
        }
        assert!(sb.dossiers().is_empty());

        for path in common::files_under(&root) {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(!text.contains("demo-mot-de-passe"), "{}", path.display());
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn akto_asks_a_human_for_the_emailed_code_and_resumes_with_it() {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Bernard");
        let sb = sandbox(OpcoId::Akto, Faults::default()).await;
        let e = run_once(browser, &sb, &root, "2fa", 1, Op::Prefill, &f, None)
            .await
            .unwrap_err();
        match &e {
            PortalError::NeedsHuman {
                ask:
                    HumanInput::TwoFactorCode {
                        prompt,
                        previous_code_refused: false,
                        tries_left: None,
                    },
                ..
            } => assert!(prompt.contains("Nous avons envoyé un code"), "{prompt}"),
            other => panic!("{other:?}"),
        }
        assert!(sb.requests().is_empty(), "nothing done before the code");
        let code = common::code_for(&sb).unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let e = run_once(
            browser,
            &sb,
            &root,
            "2fa",
            2,
            Op::Prefill,
            &f,
            Some(wrong.into()),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                e,
                PortalError::NeedsHuman {
                    ask: HumanInput::TwoFactorCode {
                        previous_code_refused: true,
                        ..
                    },
                    ..
                }
            ),
            "{e:?}"
        );
        let ok = run_once(
            browser,
            &sb,
            &root,
            "2fa",
            3,
            Op::Prefill,
            &f,
            Some(code.clone()),
        )
        .await;
        assert!(matches!(ok, Ok(Outcome::Prefilled(_))), "{ok:?}");
        for path in common::files_under(&root) {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(
                !text.contains(&code),
                "the code leaked into {}",
                path.display()
            );
        }
    })
    .await;
}

/// L'Opcommerce's central login leads to a site picker: the script opens the space of the
/// filing's SIRET, never another; a SIRET not listed, or listed twice, stops for a person with
/// what the picker showed, before anything is typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lopcommerce_opens_the_filings_establishment_and_stops_when_it_is_absent_or_twice() {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let mut f = filing(dir.path(), "Petit");
        for (sites, expected) in [(SiteList::Absent, 0), (SiteList::Twice, 2)] {
            let sb = sandbox(OpcoId::Opcommerce, with(|x| x.sites = sites)).await;
            let e = run(browser, &sb, &root, "site", Op::Prefill, &f)
                .await
                .unwrap_err();
            match &e {
                PortalError::NeedsHuman {
                    ask:
                        HumanInput::SiteChoice {
                            siret,
                            found,
                            listed,
                        },
                    ..
                } => {
                    assert_eq!(siret, f.company.siret.as_str());
                    assert_eq!(*found, expected, "{sites:?}");
                    assert!(
                        listed
                            .iter()
                            .any(|l| l.contains("MARTIN DISTRIBUTION — DÉPÔT")),
                        "{sites:?}: {listed:?}"
                    );
                }
                other => panic!("{sites:?}: {other:?}"),
            }
            assert_screenshot(&e);
            assert!(sb.requests().is_empty(), "{sites:?}: nothing typed");
        }
        // The second establishment of the login: its own space, not the first one's.
        f.company.siret = domain::Siret::parse("73282932000082").unwrap();
        let sb = sandbox(OpcoId::Opcommerce, Faults::default()).await;
        let done = run(browser, &sb, &root, "site-ok", Op::Prefill, &f).await;
        assert!(matches!(done, Ok(Outcome::Prefilled(_))), "{done:?}");
        let requests = sb.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert_eq!(requests[0].site.as_deref(), Some("73282932000082"));
        assert_eq!(
            requests[0].values.get("company_siret").map(String::as_str),
            Some("73282932000082")
        );
    })
    .await;
}

/// Every failure switch and layout variant, once per portal of the registry (`portals/src/registry.rs`).
macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        mod failure_switches_end_in_their_error_classes {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $folder() {
                    super::failure_paths(domain::OpcoId::$opco).await;
                }
            )*
        }
    };
}

include!("../src/registry.rs");
