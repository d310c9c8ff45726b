//! The sandboxes driven with plain HTTP, as a browser without JavaScript would.

mod common;

use std::collections::BTreeMap;

use domain::OpcoId;
use reqwest::multipart::{Form, Part};
use sandboxes::{
    Account, Acknowledgement, ExtraControl, Faults, Kind, Layout, PortalSpec, RunningSandbox,
    SandboxConfig, ShortField, StatusChange,
};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn client() -> reqwest::Client {
    common::client()
}

/// Every portal of the registry.
fn sandboxed() -> impl Iterator<Item = OpcoId> {
    sandboxes::SANDBOXED.iter().map(|s| s.opco)
}

fn spec(portal: OpcoId) -> &'static PortalSpec {
    sandboxes::spec(portal).unwrap_or_else(|| panic!("{portal} has no sandbox"))
}

async fn start(portal: OpcoId, faults: Faults) -> RunningSandbox {
    let mut config = SandboxConfig::new(portal);
    config.faults = faults;
    sandboxes::spawn(config).await.unwrap()
}

/// A value valid for each field the portals ask.
fn value_for(key: &str, kind: Kind) -> String {
    match kind {
        Kind::Select(options) => options[0].0.to_owned(),
        Kind::Checkbox => "oui".into(),
        Kind::Date => match key {
            "trainee_birth_date" => "1985-04-12".into(),
            "action_end" => "2027-03-20".into(),
            _ => "2027-03-02".into(),
        },
        Kind::DateFr => match key {
            "trainee_birth_date" => "12/04/1985".into(),
            "action_end" => "20/03/2027".into(),
            _ => "02/03/2027".into(),
        },
        Kind::Number => "24".into(),
        // The first employee every account starts with.
        Kind::Employee(_) => "SAL-0001".into(),
        _ => match key {
            "company_siret" => "73282932000074".into(),
            "provider_siret" => "55208131766522".into(),
            "provider_nda" => "42670000000".into(),
            "action_cost" => "1800,00".into(),
            "trainee_last_name" => "Dupont".into(),
            "trainee_first_names" => "Marie".into(),
            "action_title" => "Bilan de compétences".into(),
            other => format!("valeur {other}"),
        },
    }
}

/// The trainee's last name a request filled with [`value_for`] holds: the one typed, or where
/// the trainee is chosen among the account's employees, the first of them.
fn trainee_last_name(spec: &sandboxes::PortalSpec) -> &'static str {
    spec.steps
        .iter()
        .flat_map(|s| s.fields.iter())
        .find_map(|f| match f.kind {
            Kind::Employee(c) => Some(c.seeds[0].last_name),
            _ => None,
        })
        .unwrap_or("Dupont")
}

async fn login(sb: &RunningSandbox, c: &reqwest::Client) -> reqwest::Response {
    let demo = Account::demo();
    if sb.spec().idp.is_some() {
        return common::login(sb, c, &demo.email, &demo.password).await;
    }
    let resp = c
        .post(sb.login_url())
        .form(&[
            ("username", demo.email.as_str()),
            ("password", &demo.password),
        ])
        .send()
        .await
        .unwrap();
    if sb.spec().two_factor {
        assert!(resp.url().path().ends_with("/verification"));
        let body = resp.text().await.unwrap();
        assert!(body.contains("envoyé par e-mail"), "{body}");
        let code = sb.pending_code(&demo.email).expect("a code was sent");
        return c
            .post(format!("{}/verification", sb.login_url()))
            .form(&[("code", code)])
            .send()
            .await
            .unwrap();
    }
    resp
}

/// Creates a request and fills every step; returns the request's base URL.
/// Opens a new request and returns its base URL (the portal redirects to its step 1).
async fn new_request(sb: &RunningSandbox, c: &reqwest::Client) -> String {
    let resp = c
        .post(format!("{}{}/nouvelle", sb.url(), sb.spec().home_path))
        .send()
        .await
        .unwrap();
    let step1 = resp.url().to_string();
    assert!(step1.ends_with("/etape/1"), "{step1}");
    step1.trim_end_matches("/etape/1").to_owned()
}

async fn fill_all(sb: &RunningSandbox, c: &reqwest::Client, layout: Layout) -> String {
    let spec = sb.spec();
    let base = new_request(sb, c).await;
    let prefix = if layout == Layout::ChangedMarkup {
        "q9_"
    } else {
        ""
    };
    for (i, step) in spec.steps.iter().enumerate() {
        if let Some((_, ack)) = spec.save_each_step {
            let body = c
                .post(format!("{base}/etape/{}", i + 1))
                .multipart(step_form(step, prefix, "save"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                body.contains(&sandboxes_escape(ack)),
                "step {} not saved: {body}",
                i + 1
            );
        }
        let resp = c
            .post(format!("{base}/etape/{}", i + 1))
            .multipart(step_form(step, prefix, "next"))
            .send()
            .await
            .unwrap();
        let url = resp.url().to_string();
        let body = resp.text().await.unwrap();
        assert!(
            !body.contains("role=\"alert\""),
            "step {} refused: {body}",
            i + 1
        );
        if i + 1 < spec.steps.len() {
            assert!(url.ends_with(&format!("/etape/{}", i + 2)), "{url}");
        } else {
            assert!(url.ends_with("/recapitulatif"), "{url}");
        }
    }
    base
}

async fn transmit(c: &reqwest::Client, base: &str) -> String {
    c.post(format!("{base}/transmettre"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_portal_files_one_dossier_in_its_own_number_format_and_shows_its_statuses() {
    for portal in sandboxed() {
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let c = client();
        let home = login(&sb, &c).await;
        assert!(home.url().path().ends_with(spec.home_path));
        assert!(home.text().await.unwrap().contains(spec.new_button));
        let base = fill_all(&sb, &c, Layout::Standard).await;
        let recap = c
            .get(format!("{base}/recapitulatif"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(recap.contains(spec.submit_button) && recap.contains(spec.recap_title));
        assert!(sb.dossiers().is_empty(), "nothing filed before the submit");
        let done = transmit(&c, &base).await;
        let dossiers = sb.dossiers();
        assert_eq!(dossiers.len(), 1, "{portal}");
        let number = dossiers[0].dossier.clone().unwrap();
        assert!(number.starts_with(spec.dossier_prefix), "{number}");
        assert!(done.contains(spec.submitted_message) && done.contains(&number));
        // A second click on submit does not file twice.
        transmit(&c, &base).await;
        assert_eq!(sb.dossiers().len(), 1);

        let list = c
            .get(format!("{}{}", sb.url(), spec.home_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains(spec.statuses.filed) && list.contains(&number));
        sb.set_status(
            &number,
            StatusChange::Granted {
                amount_cents: 150_000,
            },
        )
        .unwrap();
        let list = c
            .get(format!("{}{}", sb.url(), spec.home_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains(spec.statuses.granted), "{list}");
        assert!(list.contains("1\u{202f}500,00\u{a0}€"), "{list}");

        // Through HTTP too, as black-box tests and the demo do.
        let refused: serde_json::Value = c
            .post(format!("{}/__sandbox/dossiers/{number}/status", sb.url()))
            .json(&serde_json::json!({"status": "refused", "reason": "Hors critères de prise en charge"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(refused["status_label"], spec.statuses.refused);
        let all: Vec<serde_json::Value> = c
            .get(format!("{}/__sandbox/dossiers", sb.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0]["values"]["trainee_last_name"],
            trainee_last_name(spec)
        );
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn wrong_credentials_are_refused_in_the_portals_words() {
    // A login through an identity provider is tested in `idp.rs`.
    for portal in sandboxed().filter(|p| spec(*p).idp.is_none()) {
        let sb = start(portal, Faults::default()).await;
        let c = client();
        let body = c
            .post(sb.login_url())
            .form(&[("username", "demo@entreprise.fr"), ("password", "faux")])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.contains(&sandboxes_escape(spec(portal).login_error)),
            "{body}"
        );
    }
}

fn sandboxes_escape(s: &str) -> String {
    s.replace('\'', "&#39;")
}

#[tokio::test]
async fn uploads_other_than_small_pdfs_are_refused_with_the_portals_message() {
    for portal in sandboxed() {
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let c = client();
        login(&sb, &c).await;
        let base = new_request(&sb, &c).await;
        let last = spec.steps.len();
        let file_key = spec.steps[last - 1].fields[0].key;
        let too_big = {
            let mut v = PDF.to_vec();
            v.resize(spec.max_upload_bytes + 1, b' ');
            v
        };
        for (name, bytes) in [
            ("devis.docx", PDF.to_vec()),
            ("devis.pdf", b"not a pdf".to_vec()),
            ("devis.pdf", too_big),
        ] {
            let form = Form::new()
                .text("action", "draft")
                .part(file_key, Part::bytes(bytes).file_name(name));
            let body = c
                .post(format!("{base}/etape/{last}"))
                .multipart(form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                body.contains(&sandboxes_escape(spec.upload_refused)),
                "{portal} {name}"
            );
        }
        assert!(sb.requests()[0].files.is_empty());
    }
}

#[tokio::test]
async fn failure_switches_change_what_the_portal_answers() {
    let sb = start(
        OpcoId::Atlas,
        Faults {
            maintenance: true,
            ..Faults::default()
        },
    )
    .await;
    let c = client();
    let resp = c.get(sb.login_url()).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.text().await.unwrap().contains("maintenance"));

    let faults: Faults = c
        .put(format!("{}/__sandbox/faults", sb.url()))
        .json(&serde_json::json!({"http_500": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults.http_500, 1);
    assert!(!faults.maintenance);
    assert_eq!(c.get(sb.login_url()).send().await.unwrap().status(), 500);
    assert_eq!(c.get(sb.login_url()).send().await.unwrap().status(), 200);

    sb.set_faults(Faults {
        captcha: true,
        ..Faults::default()
    });
    let body = c
        .get(sb.login_url())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains(spec(OpcoId::Atlas).captcha_title));

    sb.set_faults(Faults {
        expire_session_at_step: Some(2),
        ..Faults::default()
    });
    login(&sb, &c).await;
    let resp = c
        .post(format!(
            "{}{}/nouvelle",
            sb.url(),
            spec(OpcoId::Atlas).home_path
        ))
        .send()
        .await
        .unwrap();
    let base = resp
        .url()
        .to_string()
        .trim_end_matches("/etape/1")
        .to_owned();
    let resp = c
        .post(format!("{base}/etape/2"))
        .multipart(Form::new().text("action", "next"))
        .send()
        .await
        .unwrap();
    assert!(resp.url().path().ends_with("/connexion"));
    let body = resp.text().await.unwrap();
    assert!(body.contains("Votre session a expiré"));
    // The switch fires once: after logging in again the form goes on.
    login(&sb, &c).await;
    let resp = c.get(format!("{base}/etape/2")).send().await.unwrap();
    assert!(resp.url().path().ends_with("/etape/2"));
}

#[tokio::test]
async fn layout_variants_keep_or_change_the_labels() {
    for portal in sandboxed() {
        let spec = spec(portal);
        // Changed markup: names and ids differ, labels do not, and filing still works.
        let sb = start(
            portal,
            Faults {
                layout: Layout::ChangedMarkup,
                ..Faults::default()
            },
        )
        .await;
        let c = client();
        login(&sb, &c).await;
        let standard = start(portal, Faults::default()).await;
        let cs = client();
        login(&standard, &cs).await;
        let changed_page = c
            .post(format!("{}{}/nouvelle", sb.url(), spec.home_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let standard_page = cs
            .post(format!("{}{}/nouvelle", standard.url(), spec.home_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_ne!(changed_page, standard_page);
        let standard_id = format!("id=\"{}-", portal.slug());
        assert!(standard_page.contains(&standard_id));
        assert!(!changed_page.contains(&standard_id));
        for f in spec.steps[0].fields {
            let label = sandboxes_escape(f.label);
            assert!(changed_page.contains(&label), "{portal}: {}", f.label);
        }
        let base = fill_all(&sb, &c, Layout::ChangedMarkup).await;
        transmit(&c, &base).await;
        assert_eq!(sb.dossiers().len(), 1);

        // Renamed label: the old wording is gone from its step.
        let (step, key, new_label) = spec.renamed;
        sb.set_faults(Faults {
            layout: Layout::RenamedLabel,
            ..Faults::default()
        });
        let nb = new_request(&sb, &c).await;
        let body = c
            .get(format!("{nb}/etape/{}", step + 1))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let old = spec.field(key).unwrap().label;
        assert!(body.contains(&sandboxes_escape(new_label)));
        assert!(!body.contains(&format!(">{}", sandboxes_escape(old))));

        // New mandatory field: submitting the step without it is refused.
        sb.set_faults(Faults {
            layout: Layout::NewMandatoryField,
            ..Faults::default()
        });
        let (step, extra) = spec.new_mandatory;
        let mut values = BTreeMap::new();
        let mut form = Form::new().text("action", keeping_action(spec));
        for f in spec.steps[step].fields {
            if f.kind != Kind::File {
                values.insert(f.key, value_for(f.key, f.kind));
                form = form.text(f.key, value_for(f.key, f.kind));
            }
        }
        let body = c
            .post(format!("{nb}/etape/{}", step + 1))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains(&sandboxes_escape(extra.label)), "{portal}");
        assert!(body.contains("obligatoire"), "{portal}");
    }
}

#[tokio::test]
async fn a_sandbox_with_a_state_dir_remembers_its_dossiers_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(OpcoId::OpcoEp);
    config.state_dir = Some(dir.path().to_owned());
    let sb = sandboxes::spawn(config.clone()).await.unwrap();
    let c = client();
    login(&sb, &c).await;
    let base = fill_all(&sb, &c, Layout::Standard).await;
    transmit(&c, &base).await;
    let before = sb.dossiers();
    sb.shutdown().await;
    let again = sandboxes::spawn(config).await.unwrap();
    assert_eq!(again.dossiers(), before);
}

#[tokio::test]
async fn dossiers_move_along_by_themselves_when_auto_advance_is_on() {
    let mut config = SandboxConfig::new(OpcoId::Atlas);
    config.auto_advance = Some(std::time::Duration::from_millis(100));
    let sb = sandboxes::spawn(config).await.unwrap();
    let c = client();
    login(&sb, &c).await;
    let base = fill_all(&sb, &c, Layout::Standard).await;
    transmit(&c, &base).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let d = &sb.dossiers()[0];
        if d.status
            == (sandboxes::Status::Granted {
                amount_cents: 180_000,
            })
        {
            assert_eq!(d.history.len(), 4, "{:?}", d.history);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{d:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn read_back_switches_cut_a_field_preset_a_control_restate_the_cost_and_change_the_acknowledgement()
 {
    for portal in sandboxed() {
        let spec = spec(portal);
        let (key, keep) = spec.short_field;
        let step_of = |key: &str| {
            spec.steps
                .iter()
                .position(|s| s.fields.iter().any(|f| f.key == key))
                .unwrap()
                + 1
        };

        // A field kept to N characters when its page is saved, announced or not.
        let sb = start(
            portal,
            Faults {
                short_field: ShortField::Silent,
                ..Faults::default()
            },
        )
        .await;
        let c = client();
        login(&sb, &c).await;
        let base = fill_all(&sb, &c, Layout::Standard).await;
        let typed = value_for(key, spec.field(key).unwrap().kind);
        assert!(typed.chars().count() > keep);
        let kept = sb.requests()[0].values[key].clone();
        assert_eq!(
            kept,
            typed.chars().take(keep).collect::<String>(),
            "{portal}"
        );
        let page = |n: usize| {
            let c = c.clone();
            let url = format!("{base}/etape/{n}");
            async move { c.get(url).send().await.unwrap().text().await.unwrap() }
        };
        assert!(!page(step_of(key)).await.contains("maxlength"), "{portal}");
        sb.set_faults(Faults {
            short_field: ShortField::Announced,
            ..Faults::default()
        });
        assert!(
            page(step_of(key))
                .await
                .contains(&format!("maxlength=\"{keep}\"")),
            "{portal}"
        );

        // An optional control the scripts do not know, pre-set; or the harmless one, ticked.
        sb.set_faults(Faults {
            extra_control: ExtraControl::Unknown,
            ..Faults::default()
        });
        let (step, extra, preset) = spec.preset_extra;
        let body = page(step + 1).await;
        assert!(body.contains(extra.label), "{portal}: {body}");
        let shown = match extra.kind {
            Kind::Checkbox => "checked".to_owned(),
            Kind::Select(_) => format!("value=\"{preset}\" selected"),
            _ => format!("value=\"{}\"", preset),
        };
        assert!(body.contains(&shown), "{portal}: {body}");
        sb.set_faults(Faults {
            extra_control: ExtraControl::Harmless,
            ..Faults::default()
        });
        let body = page(1).await;
        assert!(
            body.contains(sandboxes::HARMLESS_EXTRA.label) && body.contains("checked"),
            "{portal}"
        );

        // A summary stating 100 € more than the form pages, which is what a submit then files.
        sb.set_faults(Faults {
            summary_differs: true,
            acknowledgement: Acknowledgement::OtherFormat,
            ..Faults::default()
        });
        let recap = c
            .get(format!("{base}/recapitulatif"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(recap.contains("1900,00"), "{portal}: {recap}");
        assert_eq!(sb.requests()[0].values["action_cost"], "1800,00");
        let ack = transmit(&c, &base).await;
        let filed = sb.dossiers();
        assert_eq!(filed.len(), 1);
        assert_eq!(filed[0].values["action_cost"], "1900,00", "{portal}");
        // The number comes in a format none of the portals uses.
        let number = filed[0].dossier.clone().unwrap();
        assert!(
            !number.starts_with(spec.dossier_prefix) && number.starts_with('D'),
            "{portal}: {number}"
        );
        assert!(ack.contains(&number), "{portal}");

        // Filed, then the error page: the request is on the portal all the same.
        let sb = start(
            portal,
            Faults {
                acknowledgement: Acknowledgement::Unreadable,
                ..Faults::default()
            },
        )
        .await;
        let c = client();
        login(&sb, &c).await;
        let base = fill_all(&sb, &c, Layout::Standard).await;
        let resp = c.post(format!("{base}/transmettre")).send().await.unwrap();
        assert_eq!(resp.status(), 500, "{portal}");
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains(&sandboxes_escape(spec.error_title))
        );
        assert_eq!(sb.dossiers().len(), 1, "{portal}");
    }
}

#[tokio::test]
async fn a_cookie_banner_covers_the_pages_of_the_portals_that_have_one() {
    for portal in sandboxed() {
        let spec = spec(portal);
        let sb = start(portal, Faults::default()).await;
        let body = client()
            .get(sb.login_url())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        match spec.cookie_banner {
            Some(b) => {
                assert!(
                    body.contains("id=\"cookie-banner\" role=\"dialog\""),
                    "{portal}"
                );
                assert!(
                    body.contains(&sandboxes_escape(b.accept_button)),
                    "{portal}"
                );
                assert!(body.contains(&sandboxes_escape(b.text)), "{portal}");
            }
            None => assert!(!body.contains("cookie-banner"), "{portal}"),
        }
    }
    assert!(spec(OpcoId::Atlas).cookie_banner.is_some());
}

/// The portals that are single-page apps.
fn spa_portals() -> impl Iterator<Item = OpcoId> {
    sandboxed().filter(|p| spec(*p).spa().is_some())
}

/// The action that keeps a step's values: its own save where each step has one, else « next ».
fn keeping_action(spec: &PortalSpec) -> &'static str {
    if spec.save_each_step.is_some() {
        "save"
    } else {
        "next"
    }
}

#[tokio::test]
async fn where_each_step_has_its_save_next_alone_loses_the_steps_values() {
    let mut seen = 0;
    for portal in sandboxed().filter(|p| spec(*p).save_each_step.is_some()) {
        seen += 1;
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let c = client();
        login(&sb, &c).await;
        let base = new_request(&sb, &c).await;
        let step = &spec.steps[0];
        let resp = c
            .post(format!("{base}/etape/1"))
            .multipart(step_form(step, "", "next"))
            .send()
            .await
            .unwrap();
        assert!(resp.url().path().ends_with("/etape/2"), "{portal}");
        assert!(
            sb.requests()[0].values.is_empty(),
            "{portal}: kept without a save"
        );
        let (_, ack) = spec.save_each_step.unwrap();
        let body = c
            .post(format!("{base}/etape/1"))
            .multipart(step_form(step, "", "save"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains(&sandboxes_escape(ack)), "{portal}");
        let values = &sb.requests()[0].values;
        for f in step.fields {
            assert_eq!(
                values[f.key],
                value_for(f.key, f.kind),
                "{portal} {}",
                f.key
            );
        }
    }
    assert!(seen > 0, "no portal saves each step");
}

/// One step of the form as the app sends it: `FormData` with every field.
fn step_form(step: &sandboxes::Step, prefix: &str, action: &str) -> Form {
    let mut form = Form::new().text("action", action.to_owned());
    for f in step.fields {
        let name = format!("{prefix}{}", f.key);
        form = if f.kind == Kind::File {
            form.part(
                name,
                Part::bytes(PDF.to_vec())
                    .file_name(format!("{}.pdf", f.key))
                    .mime_str("application/pdf")
                    .unwrap(),
            )
        } else {
            form.text(name, value_for(f.key, f.kind))
        };
    }
    form
}

#[tokio::test]
async fn the_apps_api_saves_each_step_files_once_and_answers_401_without_a_session() {
    let mut seen = Vec::new();
    for portal in spa_portals() {
        seen.push(portal);
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let c = client();
        // Without a session the API answers 401 and names the login page.
        let anon: serde_json::Value = {
            let r = c
                .get(format!("{}/api/demandes", sb.url()))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "{portal}");
            r.json().await.unwrap()
        };
        assert!(anon["login"].as_str().unwrap().starts_with(spec.login_path));
        let home = login(&sb, &c).await;
        // The list is the app's page: its script and its wording, the HTML one in <noscript>.
        let page = home.text().await.unwrap();
        assert!(page.contains("/static/portail.js") && page.contains("portal-config"));
        assert!(page.contains("<noscript>"));
        let js = c
            .get(format!("{}/static/portail.js", sb.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(js.status(), 200);

        let created: serde_json::Value = c
            .post(format!("{}/api/demandes", sb.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_u64().unwrap();
        let api = format!("{}/api/demandes/{id}", sb.url());
        for (i, step) in spec.steps.iter().enumerate() {
            let shown: serde_json::Value = c
                .get(format!("{api}/etapes/{}", i + 1))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let labels: Vec<&str> = shown["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["label"].as_str().unwrap())
                .collect();
            let want: Vec<&str> = step.fields.iter().map(|f| f.label).collect();
            assert_eq!(labels, want, "{portal} step {}", i + 1);
            if i == 0 {
                // A step sent without its mandatory fields is refused, field by field.
                let r = c
                    .post(format!("{api}/etapes/1"))
                    .multipart(Form::new().text("action", "next"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 422);
                let refused: serde_json::Value = r.json().await.unwrap();
                assert!(
                    refused["errors"][0]
                        .as_str()
                        .unwrap()
                        .contains("obligatoire")
                );
            }
            let saved: serde_json::Value = c
                .post(format!("{api}/etapes/{}", i + 1))
                .multipart(step_form(step, "", "next"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let next = if i + 1 < spec.steps.len() {
                "etape"
            } else {
                "recapitulatif"
            };
            assert_eq!(saved["next"], next, "{portal}: {saved}");
        }
        let summary: serde_json::Value = c
            .get(format!("{api}/recapitulatif"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(summary["dossier"].is_null());
        assert!(sb.dossiers().is_empty(), "nothing filed before the submit");
        let filed: serde_json::Value = c
            .post(format!("{api}/transmettre"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let number = filed["dossier"].as_str().unwrap().to_owned();
        assert!(number.starts_with(spec.dossier_prefix), "{number}");
        // A second submit does not file twice.
        c.post(format!("{api}/transmettre")).send().await.unwrap();
        assert_eq!(sb.dossiers().len(), 1);
        let list: serde_json::Value = c
            .get(format!("{}/api/demandes", sb.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["rows"][0]["cells"][0], number.as_str());
        assert_eq!(list["rows"][0]["cells"][4], spec.statuses.filed);

        // Failure switches answer the app in JSON.
        sb.set_faults(Faults {
            http_500: 1,
            ..Faults::default()
        });
        let r = c
            .get(format!("{}/api/demandes", sb.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        let err: serde_json::Value = r.json().await.unwrap();
        assert_eq!(err["error"], spec.error_title);
        sb.shutdown().await;
    }
    for spa in [
        OpcoId::Akto,
        OpcoId::OpcoEp,
        OpcoId::OpcoSante,
        OpcoId::Ocapiat,
    ] {
        assert!(seen.contains(&spa), "{spa} is a single-page app: {seen:?}");
    }
}

#[tokio::test]
async fn a_session_warning_not_answered_ends_the_session_and_one_answered_keeps_it() {
    for portal in spa_portals() {
        let spec = spec(portal);
        for answered in [false, true] {
            let sb = start(
                portal,
                Faults {
                    session_warning_at_step: Some(1),
                    ..Faults::default()
                },
            )
            .await;
            let c = client();
            login(&sb, &c).await;
            let created: serde_json::Value = c
                .post(format!("{}/api/demandes", sb.url()))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let api = format!("{}/api/demandes/{}", sb.url(), created["id"]);
            let shown: serde_json::Value = c
                .get(format!("{api}/etapes/1"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(shown["warning"], true, "{portal}");
            if answered {
                let kept = c
                    .post(format!("{}/api/session/prolonger", sb.url()))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(kept.status(), 200);
            }
            let saved = c
                .post(format!("{api}/etapes/1"))
                .multipart(step_form(&spec.steps[0], "", "next"))
                .send()
                .await
                .unwrap();
            if answered {
                assert_eq!(saved.status(), 200, "{portal}");
            } else {
                assert_eq!(saved.status(), 401, "{portal}");
                // Ended for good: the next call is refused too.
                let again = c
                    .get(format!("{}/api/demandes", sb.url()))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(again.status(), 401);
            }
            // Shown once.
            let shown: serde_json::Value = c
                .get(format!("{api}/etapes/1"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap_or_default();
            assert_ne!(shown["warning"], true);
        }
    }
}

#[tokio::test]
async fn an_autocomplete_offers_the_accounts_establishments_and_keeps_only_a_listed_one() {
    let mut seen = 0;
    for portal in sandboxed().filter(|p| spec(*p).suggest_field().is_some()) {
        seen += 1;
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let (field, choices) = spec.suggest_field().unwrap();
        let c = client();
        let ask = |q: &str| format!("{}{}/suggestions?q={q}", sb.url(), spec.home_path);
        let outside = c.get(ask("73282")).send().await.unwrap();
        assert_ne!(
            outside.url().path(),
            format!("{}/suggestions", spec.home_path),
            "{portal}: suggestions without a session"
        );
        login(&sb, &c).await;
        let count = |v: serde_json::Value| v["suggestions"].as_array().map_or(0, Vec::len);
        let siren = &choices[0].0[..9];
        let by_siren: serde_json::Value = c
            .get(ask(siren))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sharing = choices.iter().filter(|(v, _)| v.starts_with(siren)).count();
        assert!(sharing > 1, "{portal}: a prefix must offer several");
        assert_eq!(count(by_siren), sharing, "{portal}");
        let exact: serde_json::Value = c
            .get(ask(choices[0].0))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(count(exact.clone()), 1, "{portal}");
        assert_eq!(exact["suggestions"][0]["value"], choices[0].0);

        // A SIRET the list does not offer is refused, in the portal's words.
        let base = new_request(&sb, &c).await;
        let n = spec
            .steps
            .iter()
            .position(|s| s.fields.iter().any(|f| f.key == field.key))
            .unwrap();
        let action = if spec.save_each_step.is_some() {
            "save"
        } else {
            "next"
        };
        let mut form = Form::new().text("action", action);
        for f in spec.steps[n].fields {
            let value = if f.key == field.key {
                "73282932000108".to_owned()
            } else {
                value_for(f.key, f.kind)
            };
            form = form.text(f.key, value);
        }
        let body = c
            .post(format!("{base}/etape/{}", n + 1))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.contains("choisissez une des propositions de la liste"),
            "{portal}: {body}"
        );
    }
    assert!(seen > 0, "no portal has an autocomplete");
}

#[tokio::test]
async fn a_legacy_portal_in_frames_answers_the_window_with_its_frameset_and_a_frame_with_the_page()
{
    let mut seen = 0;
    for portal in sandboxed().filter(|p| spec(*p).frameset().is_some()) {
        seen += 1;
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let frames = spec.frameset().unwrap();
        let c = client();
        let home = format!("{}{}", sb.url(), spec.home_path);
        let get = |dest: &'static str| c.get(&home).header("Sec-Fetch-Dest", dest).send();

        // Not logged in: the window is sent to the login, no frameset.
        let outside = get("document").await.unwrap();
        assert_eq!(outside.url().path(), spec.login_path, "{portal}");

        login(&sb, &c).await;
        let window = get("document").await.unwrap().text().await.unwrap();
        assert!(window.contains("<frameset"), "{portal}: {window}");
        assert!(
            window.contains(&format!(
                "<frame name=\"{}\" src=\"{}\">",
                frames.content_frame, spec.home_path
            )),
            "{portal}: the content frame shows the page asked for: {window}"
        );
        assert!(
            !window.contains(&sandboxes_escape(spec.list_title)),
            "{portal}: the window holds no page of its own"
        );
        for dest in ["frame", "iframe"] {
            let page = get(dest).await.unwrap().text().await.unwrap();
            assert!(!page.contains("<frameset"), "{portal} {dest}: {page}");
            assert!(
                page.contains(&sandboxes_escape(spec.list_title)),
                "{portal} {dest}: {page}"
            );
        }
        let menu = c
            .get(format!("{}{}", sb.url(), frames.menu_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            menu.contains(&format!("target=\"{}\"", frames.content_frame)),
            "{portal}: the menu opens its pages in the content frame: {menu}"
        );
        sb.shutdown().await;
    }
    assert!(seen > 0, "no portal of the registry is in frames");
}

/// The page at `url`, as text.
async fn get_text(c: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// The JSON at `url`.
async fn get_json<T: serde::de::DeserializeOwned>(
    c: &reqwest::Client,
    url: impl reqwest::IntoUrl,
) -> T {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

/// The portals where the employer must act after an agreement.
fn awaiting_portals() -> impl Iterator<Item = OpcoId> {
    sandboxed().filter(|p| spec(*p).start_confirmation.is_some())
}

/// Today as the portals write it.
fn today() -> String {
    chrono::Utc::now().format("%d/%m/%Y").to_string()
}

/// Files one request through the portal's own front end (the app's API on a single-page app,
/// the pages elsewhere); returns its id and dossier number.
async fn file_one(sb: &RunningSandbox, c: &reqwest::Client) -> (u64, String) {
    let spec = sb.spec();
    if spec.spa().is_none() {
        let base = fill_all(sb, c, Layout::Standard).await;
        transmit(c, &base).await;
        let id: u64 = base.rsplit('/').next().unwrap().parse().unwrap();
        let number = sb
            .dossiers()
            .into_iter()
            .find(|d| u64::from(d.id) == id)
            .and_then(|d| d.dossier)
            .expect("filed");
        return (id, number);
    }
    let created: serde_json::Value = c
        .post(format!("{}/api/demandes", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_u64().unwrap();
    for (i, step) in spec.steps.iter().enumerate() {
        let saved = c
            .post(format!("{}/api/demandes/{id}/etapes/{}", sb.url(), i + 1))
            .multipart(step_form(step, "", "next"))
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), 200, "step {}", i + 1);
    }
    let filed: serde_json::Value = c
        .post(format!("{}/api/demandes/{id}/transmettre", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (id, filed["dossier"].as_str().unwrap().to_owned())
}

/// Moves a dossier to "granted, the action awaited" through the test endpoint; returns the
/// last day the portal gives (`before`).
async fn await_action(sb: &RunningSandbox, c: &reqwest::Client, number: &str) -> String {
    let set: serde_json::Value = c
        .post(format!("{}/__sandbox/dossiers/{number}/status", sb.url()))
        .json(&serde_json::json!({"status": "start_to_confirm", "amount_cents": 150_000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sc = sb.spec().start_confirmation.unwrap();
    assert_eq!(set["status_label"], sc.label);
    set["status"]["before"].as_str().unwrap().to_owned()
}

/// The dossier as `/__sandbox/dossiers` shows it.
async fn dossier_json(sb: &RunningSandbox, c: &reqwest::Client, number: &str) -> serde_json::Value {
    let all: Vec<serde_json::Value> = get_json(c, format!("{}/__sandbox/dossiers", sb.url())).await;
    all.into_iter()
        .find(|d| d["dossier"] == number)
        .expect("the dossier is listed")
}

/// Posts the server-rendered step of the action, its box ticked or not; returns the page.
async fn post_agreement_page(c: &reqwest::Client, url: &str, ticked: bool) -> String {
    let mut form = vec![("action", "accord")];
    if ticked {
        form.push(("attestation", "on"));
    }
    let resp = c.post(url).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    resp.text().await.unwrap()
}

/// Posts the app's action, its box ticked or not; returns the status code and the JSON.
async fn post_agreement_api(
    c: &reqwest::Client,
    url: &str,
    ticked: bool,
) -> (u16, serde_json::Value) {
    let form = if ticked {
        Form::new().text("attestation", "on")
    } else {
        Form::new()
    };
    let resp = c.post(url).multipart(form).send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap())
}

#[tokio::test]
async fn the_employers_action_after_an_agreement_is_applied_once_and_a_second_one_is_counted_and_refused()
 {
    let mut seen = Vec::new();
    for portal in awaiting_portals() {
        seen.push(portal);
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let sc = spec.start_confirmation.unwrap();
        let c = client();
        login(&sb, &c).await;
        let (id, number) = file_one(&sb, &c).await;
        let before = await_action(&sb, &c, &number).await;
        let comment = sc.comment.replace("{date}", &before);
        let day = today();
        if spec.spa().is_some() {
            let api = format!("{}/api/demandes/{id}", sb.url());
            let recap: serde_json::Value = get_json(&c, format!("{api}/recapitulatif")).await;
            assert_eq!(
                recap["action"],
                serde_json::json!({
                    "button": sc.button,
                    "comment": comment,
                    "dialogTitle": sc.dialog_title,
                    "attestation": sc.attestation,
                    "validate": sc.validate,
                }),
                "{portal}"
            );
            assert!(recap["message"].is_null(), "{portal}: {recap}");

            // The box not ticked: refused, nothing changed, not counted.
            let (code, refused) = post_agreement_api(&c, &format!("{api}/accord"), false).await;
            assert_eq!(code, 422, "{portal}: {refused}");
            assert_eq!(refused["errors"][0], "Cochez la case pour confirmer.");
            let d = dossier_json(&sb, &c, &number).await;
            assert_eq!(d["status_label"], sc.label, "{portal}: unchanged");
            assert_eq!(d["agreement_actions"], 0, "{portal}: not counted");

            let (code, done) = post_agreement_api(&c, &format!("{api}/accord"), true).await;
            assert_eq!(code, 200, "{portal}: {done}");
            assert_eq!(done["status"], sc.done_label, "{portal}");
            assert_eq!(done["message"], sc.done_message.replace("{date}", &day));
            let recap: serde_json::Value = get_json(&c, format!("{api}/recapitulatif")).await;
            assert!(recap["action"].is_null(), "{portal}: offered once done");
            assert_eq!(recap["status"], sc.done_label);
            assert_eq!(recap["message"], done["message"]);
        } else {
            let home = format!("{}{}", sb.url(), spec.home_path);
            let recap = get_text(&c, format!("{home}/{id}/recapitulatif")).await;
            let path = format!("{}/{id}/accord", spec.home_path);
            assert!(
                recap.contains(&sandboxes_escape(&comment))
                    && recap.contains(&sandboxes_escape(sc.button))
                    && recap.contains(&format!("action=\"{path}\"")),
                "{portal}: {recap}"
            );
            let url = format!("{}{path}", sb.url());
            let step = get_text(&c, &url).await;
            assert!(
                step.contains(&format!("<h1>{}</h1>", sandboxes_escape(sc.dialog_title))),
                "{portal}: {step}"
            );
            let label = format!("\">{}</label>", sandboxes_escape(sc.attestation));
            assert!(
                step.contains("type=\"checkbox\"")
                    && step.contains(" required>")
                    && step.contains("<label for=\"")
                    && step.contains(&label)
                    && step.contains(&sandboxes_escape(sc.validate))
                    && step.contains(&format!("method=\"post\" action=\"{path}\"")),
                "{portal}: {step}"
            );
            if let Some(frames) = spec.frameset() {
                // Opened in the window, the step shows in the content frame.
                let window = c
                    .get(&url)
                    .header("Sec-Fetch-Dest", "document")
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                assert!(
                    window.contains(&format!(
                        "<frame name=\"{}\" src=\"{path}\">",
                        frames.content_frame
                    )),
                    "{portal}: {window}"
                );
            }

            // The box not ticked: the step again with an alert, nothing changed, not counted.
            let refused = post_agreement_page(&c, &url, false).await;
            assert!(
                refused.contains("role=\"alert\"")
                    && refused.contains("Cochez la case pour confirmer.")
                    && refused.contains(&label),
                "{portal}: {refused}"
            );
            let d = dossier_json(&sb, &c, &number).await;
            assert_eq!(d["status_label"], sc.label, "{portal}: unchanged");
            assert_eq!(d["agreement_actions"], 0, "{portal}: not counted");

            let done = post_agreement_page(&c, &url, true).await;
            let message = sc.done_message.replace("{date}", &day);
            assert!(
                done.contains(&format!(
                    "role=\"status\">{}</p>",
                    sandboxes_escape(&message)
                )) && done.contains(&sandboxes_escape(sc.done_label))
                    && !done.contains("role=\"alert\"")
                    && !done.contains(&format!("action=\"{path}\"")),
                "{portal}: {done}"
            );
            let list = get_text(&c, &home).await;
            assert!(
                list.contains(&sandboxes_escape(sc.done_label)),
                "{portal}: {list}"
            );
        }
        let d = dossier_json(&sb, &c, &number).await;
        assert_eq!(d["status_label"], sc.done_label, "{portal}");
        assert_eq!(d["agreement_actions"], 1, "{portal}");
        assert_eq!(d["status"]["status"], "start_confirmed");
        assert_eq!(d["status"]["on"], day.as_str());
        assert_eq!(d["status"]["amount_cents"], 150_000);

        // A second action is counted, and refused with the day of the first; nothing changes.
        let refusal = format!("Cette action a déjà été faite le {day}.");
        if spec.spa().is_some() {
            let url = format!("{}/api/demandes/{id}/accord", sb.url());
            let (code, again) = post_agreement_api(&c, &url, true).await;
            assert_eq!(code, 422, "{portal}: {again}");
            assert_eq!(again["errors"][0], refusal.as_str());
        } else {
            let url = format!("{}{}/{id}/accord", sb.url(), spec.home_path);
            let again = post_agreement_page(&c, &url, true).await;
            assert!(
                again.contains("role=\"alert\"") && again.contains(&refusal),
                "{portal}: {again}"
            );
            assert!(
                !again.contains("type=\"checkbox\""),
                "{portal}: offered again"
            );
        }
        let d = dossier_json(&sb, &c, &number).await;
        assert_eq!(d["agreement_actions"], 2, "{portal}");
        assert_eq!(d["status_label"], sc.done_label, "{portal}");
        assert_eq!(d["status"]["on"], day.as_str());
        sb.shutdown().await;
    }
    for p in [OpcoId::Uniformation, OpcoId::Afdas] {
        assert!(seen.contains(&p), "{p} awaits an action: {seen:?}");
    }
}

#[tokio::test]
async fn an_action_on_a_request_that_awaits_none_is_counted_and_refused() {
    for portal in awaiting_portals() {
        let sb = start(portal, Faults::default()).await;
        let spec = spec(portal);
        let c = client();
        login(&sb, &c).await;
        let (id, number) = file_one(&sb, &c).await;
        let nothing = "Aucune action n&#39;est attendue sur ce dossier.";
        if spec.spa().is_some() {
            let recap: serde_json::Value =
                get_json(&c, format!("{}/api/demandes/{id}/recapitulatif", sb.url())).await;
            assert!(
                recap["action"].is_null(),
                "{portal}: a filed request awaits none"
            );
            let url = format!("{}/api/demandes/{id}/accord", sb.url());
            let (code, refused) = post_agreement_api(&c, &url, true).await;
            assert_eq!(code, 422, "{portal}");
            assert_eq!(
                refused["errors"][0],
                "Aucune action n'est attendue sur ce dossier."
            );
        } else {
            let url = format!("{}{}/{id}/accord", sb.url(), spec.home_path);
            let step = get_text(&c, &url).await;
            assert!(
                step.contains(nothing) && !step.contains("type=\"checkbox\""),
                "{portal}: {step}"
            );
            let refused = post_agreement_page(&c, &url, true).await;
            assert!(
                refused.contains("role=\"alert\"") && refused.contains(nothing),
                "{portal}: {refused}"
            );
        }
        let d = dossier_json(&sb, &c, &number).await;
        assert_eq!(d["agreement_actions"], 1, "{portal}");
        assert_eq!(d["status_label"], spec.statuses.filed, "{portal}");
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn with_agreement_ack_hidden_the_action_is_applied_but_the_page_after_it_says_neither_outcome_nor_status()
 {
    for portal in awaiting_portals() {
        let sb = start(
            portal,
            Faults {
                agreement_ack_hidden: true,
                ..Faults::default()
            },
        )
        .await;
        let spec = spec(portal);
        let sc = spec.start_confirmation.unwrap();
        let c = client();
        login(&sb, &c).await;
        let (id, number) = file_one(&sb, &c).await;
        await_action(&sb, &c, &number).await;
        let message = sc.done_message.replace("{date}", &today());
        let pending = "Votre demande est en cours de traitement.";
        if spec.spa().is_some() {
            let url = format!("{}/api/demandes/{id}/accord", sb.url());
            let (code, done) = post_agreement_api(&c, &url, true).await;
            assert_eq!(code, 200, "{portal}: {done}");
            assert_eq!(done["message"], pending, "{portal}");
            assert!(done["status"].is_null(), "{portal}: {done}");
        } else {
            let url = format!("{}{}/{id}/accord", sb.url(), spec.home_path);
            let done = post_agreement_page(&c, &url, true).await;
            assert!(done.contains(pending), "{portal}: {done}");
            assert!(
                !done.contains(&sandboxes_escape(&message))
                    && !done.contains(&sandboxes_escape(sc.done_label))
                    && !done.contains(&sandboxes_escape(sc.label)),
                "{portal}: {done}"
            );
        }
        let d = dossier_json(&sb, &c, &number).await;
        assert_eq!(d["status_label"], sc.done_label, "{portal}: applied");
        assert_eq!(d["agreement_actions"], 1, "{portal}: counted");
        sb.shutdown().await;
    }
}
