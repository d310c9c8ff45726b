//! The scripts on the single-page-app sandboxes, in real Chromium: a step saved without a page
//! load is a step done, not an outage; a retry resumes the draft it started; the "session about
//! to expire" dialog is answered by the button the facts name.

mod common;

use common::{Op, Outcome, filing, run, run_once, sandbox, with_browser};
use domain::OpcoId;
use portals::{ErrorClass, PortalError};
use sandboxes::Faults;

/// The sandboxed portals that are single-page apps.
fn spa_portals() -> Vec<OpcoId> {
    sandboxes::SANDBOXED
        .iter()
        .filter(|s| s.spa().is_some())
        .map(|s| s.opco)
        .collect()
}

fn recorded_actions(root: &std::path::Path, job: &str) -> Vec<String> {
    recordings::Store::new(root)
        .attempts(job)
        .unwrap()
        .iter()
        .flat_map(|a| a.steps.iter().map(|s| s.action.clone()))
        .collect()
}

/// The next attempt of a job, as the worker runs it: numbered after the ones recorded, with the
/// code the portal e-mails when it asks for one.
async fn retry(
    browser: &browser::Browser,
    sb: &sandboxes::RunningSandbox,
    root: &std::path::Path,
    job: &str,
    f: &portals::Filing,
) -> Result<Outcome, PortalError> {
    let next = || {
        recordings::Store::new(root)
            .attempts(job)
            .map_or(0, |a| a.len()) as u32
            + 1
    };
    match run_once(browser, sb, root, job, next(), Op::Prefill, f, None).await {
        Err(PortalError::NeedsHuman {
            ask: portals::HumanInput::TwoFactorCode { .. },
            ..
        }) => {
            let code = common::code_for(sb);
            run_once(browser, sb, root, job, next(), Op::Prefill, f, code).await
        }
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_saved_without_a_page_load_is_no_outage_and_a_retry_resumes_its_draft() {
    assert!(spa_portals().contains(&OpcoId::Akto));
    assert!(spa_portals().contains(&OpcoId::OpcoEp));
    with_browser(|browser| async move {
        for portal in spa_portals() {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("rec");
            let f = filing(dir.path(), "Lefebvre");
            let spec = common::spec_of(portal);
            let pages = spec.steps.len();

            // Saving the second step fails once: the first, saved in the page, counted as done.
            let sb = sandbox(
                portal,
                Faults {
                    fail_step_save: Some(2),
                    ..Faults::default()
                },
            )
            .await;
            let e = match run(browser, &sb, &root, "spa-1", Op::Prefill, &f).await {
                Err(e) => e,
                other => panic!("{portal}: {other:?}"),
            };
            assert_eq!(e.class(), ErrorClass::Retryable, "{portal}: {e:?}");
            let PortalError::Retryable { step, .. } = &e else {
                panic!("{portal}: {e:?}")
            };
            assert!(step.starts_with("prefill/"), "{portal}: {step}");
            // Both pages were filled: the first one's save, in the page, went through.
            let filled = recorded_actions(&root, "spa-1")
                .iter()
                .filter(|a| a.starts_with("filled "))
                .count();
            assert_eq!(filled, 2, "{portal}");
            let requests = sb.requests();
            assert_eq!(requests.len(), 1, "{portal}");
            for field in spec.steps[0].fields {
                assert!(
                    requests[0].values.contains_key(field.key),
                    "{portal}: the first page's « {} » was saved",
                    field.label
                );
            }
            assert!(requests[0].files.is_empty());

            // The retry (the same job's next attempt, in a new session) resumes that draft and
            // finishes it, even where the first page alone does not tell the list which it is.
            let p = match retry(browser, &sb, &root, "spa-1", &f).await {
                Ok(Outcome::Prefilled(p)) => p,
                other => panic!("{portal}: {other:?}"),
            };
            assert!(p.resumed_draft, "{portal}");
            assert_eq!(p.final_screenshots.len(), pages + 1);
            let requests = sb.requests();
            assert_eq!(requests.len(), 1, "{portal}: one draft, not two");
            assert_eq!(requests[0].files.len(), 3, "{portal}");
            assert!(sb.dossiers().is_empty());

            // No step of the form, nor the summary, was a document of its own.
            let documents = sb.documents();
            assert!(
                !documents
                    .iter()
                    .any(|d| d.contains("/etape/2") || d.contains("/recapitulatif")),
                "{portal}: {documents:?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_warning_is_answered_by_the_facts_button_and_the_session_goes_on() {
    with_browser(|browser| async move {
        for portal in spa_portals() {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("rec");
            let f = filing(dir.path(), "Garnier");
            let button = portals::script(portal)
                .unwrap()
                .facts()
                .ui
                .session_warning_button
                .clone();
            assert_eq!(
                button.as_deref(),
                common::spec_of(portal).spa().map(|o| o.session_warning.1),
                "{portal}: the facts name the dialog's button"
            );
            let sb = sandbox(
                portal,
                Faults {
                    session_warning_at_step: Some(2),
                    ..Faults::default()
                },
            )
            .await;
            let res = run(browser, &sb, &root, "warn", Op::Prefill, &f).await;
            assert!(
                matches!(res, Ok(Outcome::Prefilled(_))),
                "{portal}: {res:?}"
            );
            assert!(
                sb.faults().session_warning_at_step.is_none(),
                "the dialog showed"
            );
            let actions = recorded_actions(&root, "warn");
            assert!(
                actions.iter().any(|a| a == "answer session warning"),
                "{portal}: {actions:?}"
            );
            assert!(
                !actions.iter().any(|a| a == "session expired"),
                "{portal}: the session went on: {actions:?}"
            );
            assert_eq!(sb.requests().len(), 1);
            assert_eq!(sb.requests()[0].files.len(), 3);
        }
    })
    .await;
}

/// Afdas's sandbox is as hard as its Aura portal: a script's click does not tick a Lightning box
/// (a real one does), a combobox's listbox closes as soon as the focus leaves it (real presses
/// keep the focus and choose), and the request's first page opens in a pop-up over the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn afdas_lightning_widgets_ignore_a_scripts_click_and_answer_real_input() {
    use browser::locator::{Locator, Role};
    with_browser(|browser| async move {
        let sb = sandbox(OpcoId::Afdas, Faults::default()).await;
        let spec = common::spec_of(OpcoId::Afdas);
        let ctx = browser.new_context().await.unwrap();
        let page = ctx.new_page().await.unwrap();
        let demo = sandboxes::Account::demo();
        page.goto(&sb.login_url()).await.unwrap();
        Locator::label(spec.login_user_label)
            .fill(&page, &demo.email)
            .await
            .unwrap();
        Locator::label(spec.login_password_label)
            .fill(&page, &demo.password)
            .await
            .unwrap();
        Locator::button(spec.login_button).click(&page).await.unwrap();
        Locator::role(Role::Heading, spec.list_title)
            .wait(&page)
            .await
            .unwrap();
        let id = page
            .evaluate("fetch('/api/demandes', {method: 'POST'}).then(r => r.json()).then(j => j.id)")
            .await
            .unwrap();
        let step = |n: usize| format!("{}{}/{id}/etape/{n}", sb.url(), spec.home_path);

        // The first page is a modal dialog over the list.
        page.goto(&step(1)).await.unwrap();
        Locator::label("Dispositif").wait(&page).await.unwrap();
        let dialog = page
            .evaluate("(() => { const d = document.querySelector('[role=dialog][aria-modal=true]'); return !!d && d.textContent.includes('Nouvelle demande de prise en charge') && !!document.querySelector('table.demandes'); })()")
            .await
            .unwrap();
        assert_eq!(dialog, serde_json::json!(true), "a pop-up over the list");

        // The listbox opens under the combobox and closes when the focus goes elsewhere.
        page.goto(&step(2)).await.unwrap();
        let label = "Modalité pédagogique";
        Locator::label(label).wait(&page).await.unwrap();
        let blur = page
            .evaluate(&format!("(() => {{ const host = [...document.querySelectorAll('lightning-combobox')].find(h => h.shadowRoot.textContent.includes({label:?})); const cb = host.shadowRoot.querySelector('[role=combobox]'); const lb = host.shadowRoot.querySelector('[role=listbox]'); cb.focus(); cb.click(); const open = !lb.hidden && lb.querySelectorAll('[role=option]').length; document.querySelector('lightning-input').shadowRoot.querySelector('input').focus(); return [open, lb.hidden, cb.getAttribute('aria-expanded')]; }})()"))
            .await
            .unwrap();
        assert_eq!(blur, serde_json::json!([3, true, "false"]), "closed on blur");
        Locator::label(label).select(&page, "Mixte").await.unwrap();
        assert_eq!(Locator::label(label).value(&page).await.unwrap(), "Mixte");

        // A box ignores a script's click; a real click ticks it.
        page.goto(&step(3)).await.unwrap();
        let label = "Organisme certifié Qualiopi";
        Locator::label(label).wait(&page).await.unwrap();
        let clicked = page
            .evaluate(&format!("(() => {{ const host = [...document.querySelectorAll('lightning-input-checkbox')].find(h => h.shadowRoot.textContent.includes({label:?})); const box = host.shadowRoot.querySelector('input[type=checkbox]'); box.click(); return box.checked; }})()"))
            .await
            .unwrap();
        assert_eq!(clicked, serde_json::json!(false), "a script's click is ignored");
        Locator::label(label).check(&page, true).await.unwrap();
        assert!(Locator::label(label).is_checked(&page).await.unwrap());
        let _ = ctx.close().await;
    })
    .await;
}
