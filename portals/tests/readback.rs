//! What the portal kept, not what was typed (issue 9): each sandbox switch of the class (a field
//! that keeps N characters, a pre-set control the script does not know, a summary stating
//! another amount, an acknowledgement in another format or not readable) stops the prefill or
//! the submit with the differences named, in real Chromium, and never leaves a wrong dossier or
//! a second one.

mod common;

use common::{Op, Outcome, filing, run, sandbox, with_browser};
use domain::OpcoId;
use portals::{Difference, PermanentReason, PortalError, Warning};
use sandboxes::{Acknowledgement, ExtraControl, Faults, HARMLESS_EXTRA, ShortField};

fn with(f: impl FnOnce(&mut Faults)) -> Faults {
    let mut faults = Faults::default();
    f(&mut faults);
    faults
}

fn differences(portal: OpcoId, r: Result<Outcome, PortalError>) -> Vec<Difference> {
    match r {
        Err(PortalError::ValuesDiffer {
            differences,
            screenshot,
        }) => {
            assert!(
                std::fs::read(screenshot.expect("a screenshot"))
                    .unwrap()
                    .starts_with(b"\x89PNG")
            );
            differences
        }
        other => panic!("{portal}: expected the differences, got {other:?}"),
    }
}

async fn readback_paths(portal: OpcoId) {
    with_browser(|browser| async move {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rec");
        let spec = common::spec_of(portal);
        let (short_key, keep) = spec.short_field;
        let short_label = spec.field(short_key).unwrap().label;

        // A field the portal cuts when it saves the page: the summary tells, the prefill stops
        // with (field, asked, kept) and never reaches review.
        let f = filing(dir.path(), "Martin");
        let sb = sandbox(portal, with(|x| x.short_field = ShortField::Silent)).await;
        let found = differences(portal, run(browser, &sb, &root, "short", Op::Prefill, &f).await);
        let d = found
            .iter()
            .find(|d| d.label == short_label)
            .unwrap_or_else(|| panic!("{portal}: {short_label} not named in {found:?}"));
        assert!(d.expected.chars().count() > keep, "{portal}: {d:?}");
        assert_eq!(
            d.found,
            d.expected.chars().take(keep).collect::<String>(),
            "{portal}"
        );
        assert_eq!(found.len(), 1, "{portal}: {found:?}");
        assert!(sb.dossiers().is_empty());

        // The same limit announced by the control (`maxlength`, `pattern`): refused before
        // anything is typed, with the limit named.
        sb.set_faults(with(|x| x.short_field = ShortField::Announced));
        let e = run(browser, &sb, &root, "short2", Op::Prefill, &f)
            .await
            .unwrap_err();
        match &e {
            PortalError::Permanent {
                reason:
                    PermanentReason::ValueDoesNotFit {
                        field,
                        value,
                        limit,
                    },
                ..
            } => {
                assert_eq!(field, short_label, "{portal}");
                assert!(value.chars().count() > keep, "{portal}: {value}");
                assert!(limit.contains(&keep.to_string()), "{portal}: {limit}");
            }
            other => panic!("{portal}: {other:?}"),
        }
        assert!(sb.dossiers().is_empty());

        // An optional control the script does not know, pre-set to a value nobody chose.
        let sb = sandbox(portal, with(|x| x.extra_control = ExtraControl::Unknown)).await;
        let found = differences(portal, run(browser, &sb, &root, "extra", Op::Prefill, &f).await);
        let extra = spec.preset_extra.1.label;
        assert!(
            found
                .iter()
                .any(|d| d.label == extra && d.expected.is_empty() && !d.found.is_empty()),
            "{portal}: {found:?}"
        );
        assert!(sb.dossiers().is_empty());

        // The same kind of control, listed as harmless in the facts: a warning naming it.
        let sb = sandbox(portal, with(|x| x.extra_control = ExtraControl::Harmless)).await;
        let p = match run(browser, &sb, &root, "harmless", Op::Prefill, &f).await {
            Ok(Outcome::Prefilled(p)) => p,
            other => panic!("{portal}: {other:?}"),
        };
        assert!(
            p.warnings.iter().any(
                |w| matches!(w, Warning::HarmlessControl { label, .. } if label == HARMLESS_EXTRA.label)
            ),
            "{portal}: {:?}",
            p.warnings
        );
        // And what the portal kept is every field, read from its summary, all the same.
        assert!(p.kept.len() >= 10, "{portal}: {:?}", p.kept);
        assert!(p.kept.iter().all(|k| k.same), "{portal}: {:?}", p.kept);

        // A summary stating another amount than the form pages: the prefill stops...
        let sb = sandbox(portal, with(|x| x.summary_differs = true)).await;
        let found = differences(portal, run(browser, &sb, &root, "sum", Op::Prefill, &f).await);
        assert!(
            found
                .iter()
                .any(|d| d.expected == "1800,00" && d.found == "1900,00"),
            "{portal}: {found:?}"
        );
        // ... and so does the submit, right before the final click, when the summary changes
        // after review: nothing is filed.
        sb.set_faults(Faults::default());
        let g = filing(dir.path(), "Durand");
        assert!(matches!(
            run(browser, &sb, &root, "sum2", Op::Prefill, &g).await,
            Ok(Outcome::Prefilled(_))
        ));
        sb.set_faults(with(|x| x.summary_differs = true));
        let found = differences(portal, run(browser, &sb, &root, "sum3", Op::Submit, &g).await);
        assert!(found.iter().any(|d| d.found == "1900,00"), "{portal}: {found:?}");
        // A pre-set control appearing after review stops the submit too.
        sb.set_faults(with(|x| x.extra_control = ExtraControl::Unknown));
        let found = differences(portal, run(browser, &sb, &root, "sum4", Op::Submit, &g).await);
        assert!(found.iter().any(|d| d.label == extra), "{portal}: {found:?}");
        assert!(sb.dossiers().is_empty(), "{portal}: {:?}", sb.dossiers());

        // An acknowledgement whose number has another format: filed or not, to be checked, with
        // the reference kept as text; the next attempt finds it and files nothing more.
        let sb = sandbox(
            portal,
            with(|x| x.acknowledgement = Acknowledgement::OtherFormat),
        )
        .await;
        assert!(matches!(
            run(browser, &sb, &root, "ack", Op::Prefill, &f).await,
            Ok(Outcome::Prefilled(_))
        ));
        let e = run(browser, &sb, &root, "ack2", Op::Submit, &f)
            .await
            .unwrap_err();
        let on_portal = sb.dossiers();
        assert_eq!(on_portal.len(), 1, "{portal}");
        let number = on_portal[0].dossier.clone().unwrap();
        match &e {
            PortalError::FiledUnknown { after, screenshot } => {
                assert_eq!(after.reference.as_deref(), Some(number.as_str()), "{portal}");
                assert!(!after.reference_recognised, "{portal}");
                assert!(
                    after.list.iter().any(|l| l.contains(&number)),
                    "{portal}: {:?}",
                    after.list
                );
                assert!(screenshot.as_ref().unwrap().exists());
            }
            other => panic!("{portal}: {other:?}"),
        }
        match run(browser, &sb, &root, "ack3", Op::Submit, &f).await {
            Err(PortalError::AlreadyFiled { dossier }) => assert_eq!(dossier, number),
            other => panic!("{portal}: {other:?}"),
        }
        assert_eq!(sb.dossiers().len(), 1, "{portal}: filed twice");

        // An acknowledgement that cannot be read at all (the portal filed, then failed).
        let sb = sandbox(
            portal,
            with(|x| x.acknowledgement = Acknowledgement::Unreadable),
        )
        .await;
        assert!(matches!(
            run(browser, &sb, &root, "unr", Op::Prefill, &f).await,
            Ok(Outcome::Prefilled(_))
        ));
        let e = run(browser, &sb, &root, "unr2", Op::Submit, &f)
            .await
            .unwrap_err();
        let number = sb.dossiers()[0].dossier.clone().unwrap();
        match &e {
            PortalError::FiledUnknown { after, .. } => {
                // The list shows the dossier in its known format; still a person checks.
                assert_eq!(after.reference.as_deref(), Some(number.as_str()), "{portal}");
                assert!(after.reference_recognised, "{portal}");
            }
            other => panic!("{portal}: {other:?}"),
        }
        match run(browser, &sb, &root, "unr3", Op::Submit, &f).await {
            Err(PortalError::AlreadyFiled { dossier }) => assert_eq!(dossier, number),
            other => panic!("{portal}: {other:?}"),
        }
        assert_eq!(sb.dossiers().len(), 1, "{portal}: filed twice");
    })
    .await;
}

/// Every read-back switch, once per portal of the registry (`portals/src/registry.rs`).
macro_rules! registered {
    ($($folder:ident => $opco:ident),* $(,)?) => {
        mod stops_on_every_value_it_did_not_keep_and_never_claims_nothing_was_filed {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $folder() {
                    super::readback_paths(domain::OpcoId::$opco).await;
                }
            )*
        }
    };
}

include!("../src/registry.rs");
