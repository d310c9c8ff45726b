//! The whole path on each sandboxed portal in real Chromium: prefill, submit, statuses.

mod common;

use common::{Op, Outcome, filing, run, sandbox, with_browser};
use domain::OpcoId;
use portals::{PortalError, PortalStatus};
use sandboxes::{Faults, StatusChange};

async fn whole_path(portal: OpcoId) {
    with_browser(|browser| async move {
        let sb = sandbox(portal, Faults::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let rec_root = dir.path().join("recordings");
        let f = filing(dir.path(), "Dupont");

        // Prefill stops before the submit, with the recording and the review screenshots.
        let p = match run(browser, &sb, &rec_root, "job-a", Op::Prefill, &f).await {
            Ok(Outcome::Prefilled(p)) => p,
            other => panic!("prefill failed on {portal}: {other:?}"),
        };
        assert!(
            sb.dossiers().is_empty(),
            "{portal}: nothing may be filed by a prefill"
        );
        assert_eq!(sb.requests().len(), 1);
        let draft = &sb.requests()[0];
        assert_eq!(draft.values["trainee_last_name"], "Dupont");
        assert_eq!(draft.values["action_cost"], "1800,00");
        assert_eq!(draft.files.len(), 3, "{portal}: three attachments uploaded");
        assert!(!p.resumed_draft);
        // The draft's own address, where a later attempt resumes it: on a portal in frames, the
        // content frame's (the window keeps the address it was opened at).
        assert!(
            p.draft_url.contains("/etape/"),
            "{portal}: the draft's address is {}",
            p.draft_url
        );
        if sb.spec().cookie_banner.is_some() {
            let dismissed = common::files_under(&rec_root).iter().any(|path| {
                std::fs::read_to_string(path).is_ok_and(|t| t.contains("dismiss banner"))
            });
            assert!(
                dismissed,
                "{portal}: the cookie banner was dismissed at login"
            );
        }
        let steps = sb.spec().steps.len();
        assert_eq!(
            p.final_screenshots.len(),
            steps + 1,
            "{portal}: one per page + summary"
        );
        for shot in &p.final_screenshots {
            assert!(std::fs::read(shot).unwrap().starts_with(b"\x89PNG"));
        }
        let attempts = recordings::Store::new(&rec_root).attempts("job-a").unwrap();
        let last = attempts.last().unwrap();
        assert!(last.steps.iter().any(|s| s.action == "upload"));
        assert!(last.steps.iter().any(|s| s.html.is_some()));
        // The password and the code never reach the recording.
        for path in common::files_under(&rec_root) {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("demo-mot-de-passe"), "{}", path.display());
        }

        // Running the prefill again resumes the same draft: still one request on the portal.
        let again = match run(browser, &sb, &rec_root, "job-a2", Op::Prefill, &f).await {
            Ok(Outcome::Prefilled(p)) => p,
            other => panic!("second prefill failed on {portal}: {other:?}"),
        };
        assert!(again.resumed_draft);
        assert_eq!(sb.requests().len(), 1, "{portal}: one request, not two");

        // Submit returns the sandbox's dossier number.
        let sub = match run(browser, &sb, &rec_root, "job-b", Op::Submit, &f).await {
            Ok(Outcome::Submitted(s)) => s,
            other => panic!("submit failed on {portal}: {other:?}"),
        };
        let dossiers = sb.dossiers();
        assert_eq!(dossiers.len(), 1);
        assert_eq!(dossiers[0].dossier.as_deref(), Some(sub.dossier.as_str()));
        assert!(sub.receipt_screenshot.exists());

        // A retry after a crash finds the dossier: reported, never filed twice.
        let again = run(browser, &sb, &rec_root, "job-b2", Op::Submit, &f).await;
        assert!(
            matches!(&again, Err(PortalError::AlreadyFiled { dossier }) if *dossier == sub.dossier),
            "{again:?}"
        );
        let prefill_after = run(browser, &sb, &rec_root, "job-a3", Op::Prefill, &f).await;
        assert!(matches!(
            prefill_after,
            Err(PortalError::AlreadyFiled { .. })
        ));
        assert_eq!(sb.dossiers().len(), 1);

        // Statuses: filed, then granted with its amount, then refused with its reason.
        let Ok(Outcome::Statuses(st)) =
            run(browser, &sb, &rec_root, "poll-1", Op::Statuses, &f).await
        else {
            panic!("statuses failed");
        };
        assert_eq!(st.len(), 1);
        assert_eq!(st[0].status, PortalStatus::Filed);
        sb.set_status(
            &sub.dossier,
            StatusChange::Granted {
                amount_cents: 150_000,
            },
        )
        .unwrap();
        let Ok(Outcome::Statuses(st)) =
            run(browser, &sb, &rec_root, "poll-2", Op::Statuses, &f).await
        else {
            panic!("statuses failed");
        };
        assert_eq!(
            st[0].status,
            PortalStatus::Granted {
                amount: Some(domain::Euros::from_cents(150_000))
            }
        );
        if let Some(confirm) = sb.spec().start_confirmation {
            // Granted, the start to confirm on the portal by a date: read with that date.
            sb.set_status(
                &sub.dossier,
                StatusChange::StartToConfirm {
                    amount_cents: 150_000,
                },
            )
            .unwrap();
            let Ok(Outcome::Statuses(st)) =
                run(browser, &sb, &rec_root, "poll-2b", Op::Statuses, &f).await
            else {
                panic!("statuses failed");
            };
            let last_day = chrono::Utc::now().date_naive() + chrono::Duration::days(confirm.days);
            // Uniformation's start to confirm, Afdas's offer to accept: both read with their date.
            match &st[0].status {
                PortalStatus::StartToConfirm {
                    amount, deadline, ..
                }
                | PortalStatus::OfferToAccept {
                    amount, deadline, ..
                } => {
                    assert_eq!(*amount, Some(domain::Euros::from_cents(150_000)));
                    assert_eq!(*deadline, Some(last_day), "{portal}: {:?}", st[0]);
                }
                other => panic!("{portal}: {other:?}"),
            }
            assert_eq!(st[0].label, confirm.label);
        }
        sb.set_status(
            &sub.dossier,
            StatusChange::Refused {
                reason: "Hors critères de prise en charge".into(),
            },
        )
        .unwrap();
        let Ok(Outcome::Statuses(st)) =
            run(browser, &sb, &rec_root, "poll-3", Op::Statuses, &f).await
        else {
            panic!("statuses failed");
        };
        assert_eq!(
            st[0].status,
            PortalStatus::Refused {
                reason: Some("Hors critères de prise en charge".into())
            }
        );
        assert_eq!(st[0].label, sb.spec().statuses.refused);

        // A wording the script has never seen goes to a human, with a screenshot.
        sb.set_status(
            &sub.dossier,
            StatusChange::Custom {
                label: "En attente de signature".into(),
            },
        )
        .unwrap();
        let unknown = run(browser, &sb, &rec_root, "poll-4", Op::Statuses, &f).await;
        match unknown {
            Err(PortalError::PortalChanged {
                what, screenshot, ..
            }) => {
                assert!(what.contains("En attente de signature"), "{what}");
                assert!(screenshot.unwrap().exists());
            }
            other => panic!("{portal}: {other:?}"),
        }
    })
    .await;
}

/// The action after an agreement, as each script's facts say it, is the one its sandbox shows:
/// the same button, step, box and validation, and the wording map knows both statuses.
#[test]
fn each_scripts_action_after_an_agreement_is_the_one_its_sandbox_shows() {
    let mut with_action = 0;
    for &opco in portals::SUPPORTED {
        let facts = common::script_for(opco).facts();
        let spec = common::spec_of(opco);
        match (&facts.agreement, spec.start_confirmation) {
            (None, None) => {}
            (Some(a), Some(c)) => {
                with_action += 1;
                assert_eq!(
                    (
                        a.button.as_str(),
                        a.dialog_title.as_str(),
                        a.attestation.as_str(),
                        a.validate.as_str()
                    ),
                    (c.button, c.dialog_title, c.attestation, c.validate),
                    "{opco}"
                );
                assert!(
                    c.done_message.starts_with(&a.done_marker),
                    "{opco}: {}",
                    c.done_message
                );
                assert!(facts.statuses.contains_key(c.label), "{opco}");
                assert!(
                    matches!(
                        facts.statuses.get(c.done_label),
                        Some(
                            portals::StatusKind::StartConfirmed
                                | portals::StatusKind::OfferAccepted
                        )
                    ),
                    "{opco}: {}",
                    c.done_label
                );
            }
            (a, c) => panic!("{opco}: facts {a:?}, sandbox {c:?}"),
        }
    }
    assert_eq!(with_action, 2, "Uniformation and Afdas");
}

#[test]
fn each_scripts_cookie_banner_button_is_the_one_its_sandbox_shows() {
    for &opco in portals::SUPPORTED {
        let facts = common::script_for(opco).facts();
        assert_eq!(
            facts.ui.cookie_banner_button.as_deref(),
            common::spec_of(opco).cookie_banner.map(|b| b.accept_button),
            "{opco}"
        );
    }
    assert!(common::spec_of(OpcoId::Atlas).cookie_banner.is_some());
}

/// The whole path, once per portal of the registry (`portals/src/registry.rs`).
macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        mod prefill_submit_and_statuses_file_exactly_one_dossier {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $folder() {
                    super::whole_path(domain::OpcoId::$opco).await;
                }
            )*
        }
    };
}

include!("../src/registry.rs");

/// Uniformation's caps, as its facts state them: 65 € TTC an hour (the cost HT plus 20 %) and a
/// DAF ceiling of 3 000 € HT under 5 trainees; the warnings say so in French for staff.
#[test]
fn uniformation_warns_above_its_hourly_cap_vat_included_and_above_the_daf_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let facts = portals::script(OpcoId::Uniformation).unwrap().facts();
    let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
    let codes = |cost_cents: i64| {
        let mut f = filing(dir.path(), "Dupont");
        f.action.cost_ht = domain::Euros::from_cents(cost_cents);
        facts
            .warnings(&f, today)
            .into_iter()
            .map(|w| (w.code(), w.to_string()))
            .collect::<Vec<_>>()
    };
    // 1 200 € HT for 24 h: 50 € HT, 60 € TTC an hour: under both caps.
    assert!(codes(120_000).is_empty(), "{:?}", codes(120_000));
    // 1 320 € HT: 55 € HT, 66 € TTC an hour: above 65 € TTC though under it HT.
    let w = codes(132_000);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "hourly_cap_ttc_exceeded");
    assert!(
        w[0].1.contains("66,00\u{a0}€ TTC") && w[0].1.contains("65,00\u{a0}€ TTC"),
        "{w:?}"
    );
    // 3 600 € HT: above the DAF ceiling too.
    let w = codes(360_000);
    let found: Vec<&str> = w.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        found,
        ["hourly_cap_ttc_exceeded", "request_cap_exceeded"],
        "{w:?}"
    );
    assert!(w[1].1.contains("3\u{202f}000,00\u{a0}€ HT"), "{w:?}");
}

/// Afdas's trainee is one of the account's employees: created once in the portal's dialog when
/// the account has no such employee, then chosen; a retry chooses them, never creates a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn afdas_creates_a_missing_employee_once_and_chooses_them_afterwards() {
    with_browser(|browser| async move {
        let sb = sandbox(OpcoId::Afdas, Faults::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let f = filing(dir.path(), "Dupont");
        let created = |job: &str| {
            recordings::Store::new(&root)
                .attempts(job)
                .unwrap()
                .iter()
                .flat_map(|a| a.steps.iter())
                .filter(|s| s.action.starts_with("filled the dialog of"))
                .count()
        };
        match run(browser, &sb, &root, "afdas-1", Op::Prefill, &f).await {
            Ok(Outcome::Prefilled(_)) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            created("afdas-1"),
            1,
            "the employee was created in the dialog"
        );
        let r = &sb.requests()[0];
        // Two employees every account starts with, then the one created.
        assert_eq!(r.values["trainee"], "SAL-0003");
        assert_eq!(r.values["trainee_last_name"], "Dupont");
        assert_eq!(r.values["trainee_job"], "Assistante de direction");
        assert_eq!(r.values["trainee_birth_date"], "12/04/1985");

        // Another request for the same employee (an earlier one abandoned): chosen, not created.
        let mut other = f.clone();
        other.action.title = "Bilan de compétences — second temps".into();
        match run(browser, &sb, &root, "afdas-2", Op::Prefill, &other).await {
            Ok(Outcome::Prefilled(_)) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(created("afdas-2"), 0, "an existing employee is chosen");
        let requests = sb.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].values["trainee"], "SAL-0003");
    })
    .await;
}

/// An attachment larger than Afdas takes (3.5 MB) is refused before the portal is opened, with
/// its size and the limit in French; nothing reaches the portal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_above_the_portals_limit_is_refused_before_the_portal_is_opened() {
    with_browser(|browser| async move {
        let sb = sandbox(OpcoId::Afdas, Faults::default()).await;
        let dir = tempfile::tempdir().unwrap();
        let f = filing(dir.path(), "Dupont");
        let mut big = std::fs::read(&f.attachments.programme).unwrap();
        big.resize(4 * 1024 * 1024, b' ');
        std::fs::write(&f.attachments.programme, big).unwrap();
        let e = run(
            browser,
            &sb,
            &dir.path().join("rec"),
            "big",
            Op::Prefill,
            &f,
        )
        .await;
        match e {
            Err(PortalError::Permanent {
                reason: portals::PermanentReason::UploadRefused { file, message },
                ..
            }) => {
                assert!(file.contains("programme-bilan.pdf"), "{file}");
                assert!(file.contains("Programme de formation"), "{file}");
                assert!(
                    message.contains("4 Mo") && message.contains("3,5 Mo"),
                    "{message}"
                );
                assert!(message.contains("rien n'a été envoyé"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(sb.requests().is_empty());
        assert!(sb.documents().is_empty(), "{:?}", sb.documents());
    })
    .await;
}

/// Performs the action after the agreement of `dossier`, as the worker's job does.
async fn act(
    browser: &browser::Browser,
    sb: &sandboxes::RunningSandbox,
    root: &std::path::Path,
    job: &str,
    dossier: &str,
) -> Result<portals::AgreementDone, PortalError> {
    let ctx = browser.new_context().await.unwrap();
    let page = ctx.new_page().await.unwrap();
    let rec = common::recorder(root, job, 1, None);
    let mut s = common::session(&page, &rec, sb, None, std::time::Duration::from_secs(10));
    let siret = "73282932000074";
    let res = common::script_for(sb.portal())
        .act_on_agreement(&mut s, dossier, siret)
        .await;
    let _ = ctx.close().await;
    res
}

/// What the portal counts of the employer's actions on `dossier`, and its status label.
fn acted(sb: &sandboxes::RunningSandbox, dossier: &str) -> (u32, String) {
    let d = sb
        .dossiers()
        .into_iter()
        .find(|d| d.dossier.as_deref() == Some(dossier))
        .unwrap();
    (d.agreement_actions, d.status_label)
}

/// Uniformation's start confirmation and Afdas's « Accepter un financement », in Chromium on
/// their own front ends (frames, Lightning components): made once; a second run finds it done
/// and clicks nothing; a page that does not say it done is settled by the dossier's status; a
/// dossier whose agreement awaits nothing is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_after_an_agreement_is_made_once_on_the_portal() {
    with_browser(|browser| async move {
        for portal in [OpcoId::Uniformation, OpcoId::Afdas] {
            let sb = sandbox(portal, Faults::default()).await;
            let confirm = sb
                .spec()
                .start_confirmation
                .expect("an action after the agreement");
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("rec");
            let mut dossiers = Vec::new();
            for (n, name) in ["Dupont", "Durand"].into_iter().enumerate() {
                let f = filing(dir.path(), name);
                match run(browser, &sb, &root, &format!("p{n}"), Op::Prefill, &f).await {
                    Ok(Outcome::Prefilled(_)) => {}
                    other => panic!("{portal}: {other:?}"),
                }
                let Ok(Outcome::Submitted(sub)) =
                    run(browser, &sb, &root, &format!("s{n}"), Op::Submit, &f).await
                else {
                    panic!("{portal}: submit failed");
                };
                dossiers.push(sub.dossier);
            }
            sb.set_status(
                &dossiers[0],
                StatusChange::StartToConfirm {
                    amount_cents: 150_000,
                },
            )
            .unwrap();
            sb.set_status(
                &dossiers[1],
                StatusChange::Granted {
                    amount_cents: 150_000,
                },
            )
            .unwrap();

            let done = act(browser, &sb, &root, "a1", &dossiers[0]).await.unwrap();
            assert!(!done.already_done, "{portal}: {done:?}");
            assert!(done.status.employer_acted(), "{portal}: {done:?}");
            assert_eq!(done.label, confirm.done_label, "{portal}");
            assert!(done.screenshot.as_ref().is_some_and(|p| p.exists()));
            assert_eq!(acted(&sb, &dossiers[0]), (1, confirm.done_label.to_owned()));

            // Again (a retry after a crash): found done, nothing clicked.
            let again = act(browser, &sb, &root, "a2", &dossiers[0]).await.unwrap();
            assert!(again.already_done, "{portal}: {again:?}");
            assert_eq!(acted(&sb, &dossiers[0]).0, 1, "{portal}: never twice");

            // Granted with nothing more to do: nothing is clicked, the reason says the status.
            match act(browser, &sb, &root, "a3", &dossiers[1]).await {
                Err(PortalError::Permanent {
                    reason: portals::PermanentReason::NoAgreementAction { dossier, status },
                    ..
                }) => {
                    assert_eq!(dossier, dossiers[1]);
                    assert_eq!(status, sb.spec().statuses.granted, "{portal}");
                }
                other => panic!("{portal}: {other:?}"),
            }
            assert_eq!(acted(&sb, &dossiers[1]).0, 0);

            // Done, and the page after it says nothing: the dossier's status tells.
            sb.set_status(
                &dossiers[1],
                StatusChange::StartToConfirm {
                    amount_cents: 150_000,
                },
            )
            .unwrap();
            sb.set_faults(Faults {
                agreement_ack_hidden: true,
                ..Faults::default()
            });
            let hidden = act(browser, &sb, &root, "a4", &dossiers[1]).await.unwrap();
            assert!(
                !hidden.already_done && hidden.status.employer_acted(),
                "{portal}: {hidden:?}"
            );
            assert_eq!(acted(&sb, &dossiers[1]).0, 1);
        }
    })
    .await;
}
