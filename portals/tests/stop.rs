//! Sessions that stop: a job asked to stop (cancel, shutdown, lost lease) stops its portal
//! session before the next step, with nothing submitted, and a later attempt resumes the draft.

mod common;

use std::time::Duration;

use common::{Op, Outcome, code_for, filing, recorder, run_once, sandbox, session, with_browser};
use domain::OpcoId;
use portals::PortalError;
use sandboxes::Faults;
use tokio_util::sync::CancellationToken;

async fn a_prefill_cancelled_mid_form_stops_before_its_next_step(portal: OpcoId) {
    with_browser(|browser| async move {
        // Slow answers leave time to ask for the stop while the form is being filled.
        let faults = Faults {
            slow_ms: 150,
            ..Faults::default()
        };
        let sb = sandbox(portal, faults).await;
        let spec = sb.spec();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("recordings");
        let f = filing(dir.path(), "Dupont");
        let script = common::script_for(portal);

        // A portal that e-mails a code asks for it once, as staff would read it.
        let code = if spec.two_factor {
            let first = run_once(browser, &sb, &root, "job-s", 1, Op::Statuses, &f, None).await;
            assert!(
                matches!(first, Err(PortalError::NeedsHuman { .. })),
                "{first:?}"
            );
            code_for(&sb)
        } else {
            None
        };

        let stop = CancellationToken::new();
        let ctx = browser.new_context().await.unwrap();
        let page = ctx.new_page().await.unwrap();
        let rec = recorder(&root, "job-s", 2, code.as_deref());
        let mut s =
            session(&page, &rec, &sb, code, Duration::from_secs(10)).with_stop(stop.clone());
        // The stop is asked as soon as the portal has saved the form's first page.
        let first_page_field = spec.steps[0].fields[0].key;
        let watcher = async {
            let asked = tokio::time::timeout(Duration::from_secs(60), async {
                while !sb
                    .requests()
                    .iter()
                    .any(|r| r.values.contains_key(first_page_field))
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                stop.cancel();
            })
            .await;
            assert!(asked.is_ok(), "{portal}: the first page was never saved");
        };
        let (res, ()) = tokio::join!(script.prefill(&mut s, &f), watcher);
        let _ = ctx.close().await;

        let Err(PortalError::Stopped { step }) = res else {
            panic!("{portal}: the prefill must stop on request, got {res:?}");
        };
        assert_ne!(step, "login", "{portal}: it stopped in the form");
        assert!(sb.dossiers().is_empty(), "{portal}: nothing filed");
        let requests = sb.requests();
        assert_eq!(requests.len(), 1, "{portal}: one draft");
        assert!(
            requests[0].files.is_empty(),
            "{portal}: the last page (the attachments) was never reached"
        );
        let attempts = recordings::Store::new(&root).attempts("job-s").unwrap();
        assert!(
            attempts
                .last()
                .unwrap()
                .steps
                .iter()
                .any(|st| st.action == "stopped on request"),
            "{portal}: the recording says where it stopped"
        );

        // The next attempt resumes that draft and completes it; still nothing filed.
        let again = run_once(
            browser,
            &sb,
            &root,
            "job-s",
            3,
            Op::Prefill,
            &f,
            code_for(&sb),
        )
        .await;
        let again = match again {
            Err(PortalError::NeedsHuman { .. }) if spec.two_factor => {
                let code = code_for(&sb);
                run_once(browser, &sb, &root, "job-s", 4, Op::Prefill, &f, code).await
            }
            other => other,
        };
        let Ok(Outcome::Prefilled(p)) = again else {
            panic!("{portal}: the next attempt must finish the prefill, got {again:?}");
        };
        assert!(p.resumed_draft, "{portal}: the stopped draft is resumed");
        assert_eq!(sb.requests().len(), 1, "{portal}: no second draft");
        assert!(sb.dossiers().is_empty());
    })
    .await;
}

macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        mod a_prefill_cancelled_mid_form_stops_before_its_next_step {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $folder() {
                    super::a_prefill_cancelled_mid_form_stops_before_its_next_step(
                        domain::OpcoId::$opco,
                    )
                    .await;
                }
            )*
        }
    };
}
include!("../src/registry.rs");
