//! Choosing the OPCO of a filing whose company's OPCO could not be resolved from its SIRET
//! (`opco_unresolved`): the candidates and the reason, the portals the fleet can file on, and
//! one decision that runs the prefill again on the chosen portal.

use axum::extract::{Form, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::OpcoId;
use filings::{Filing, FilingStore};
use serde::Deserialize;
use serde_json::Value;

use super::html::{esc, form};
use super::{ReviewState, decided, posting, problem};

/// Whether the filing waits for staff to choose its OPCO.
pub(super) fn waits_for_choice(filing: &Filing) -> bool {
    filing.state_code.as_deref() == Some("opco_unresolved")
}

fn automated(filing: &Filing) -> Vec<OpcoId> {
    filing
        .review
        .as_ref()
        .and_then(|r| r.get("automated_portals"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("opco").and_then(Value::as_str))
        .filter_map(|s| OpcoId::from_slug(s).ok())
        .collect()
}

/// The form: each portal the fleet files on, the candidates first with why they are.
pub(super) fn choice_form(filing: &Filing, csrf: &str, base: &str) -> String {
    let review = filing.review.clone().unwrap_or(Value::Null);
    let candidates: Vec<(OpcoId, String)> = review
        .get("candidates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let opco = OpcoId::from_slug(c.get("opco")?.as_str()?).ok()?;
            let because = c
                .get("because")
                .and_then(Value::as_array)
                .map(|b| {
                    b.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            Some((opco, because))
        })
        .collect();
    let portals = automated(filing);
    let mut fields = String::from("<fieldset><legend>OPCO de l'entreprise</legend>");
    let mut listed = Vec::new();
    for (opco, because) in &candidates {
        let note = if portals.contains(opco) {
            format!("candidat : {because}")
        } else {
            format!("candidat : {because} — portail non automatisé, dépôt à la main")
        };
        fields.push_str(&radio(*opco, &note, !portals.contains(opco)));
        listed.push(*opco);
    }
    for opco in portals.iter().filter(|o| !listed.contains(o)) {
        fields.push_str(&radio(*opco, "autre portail automatisé", false));
    }
    fields.push_str("</fieldset>");
    let company = review
        .pointer("/company/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    format!(
        "<h2>Choisir l'OPCO</h2><p>L'OPCO de {} n'a pas pu être déterminé d'après son SIRET. Choisissez-le : le préremplissage reprend sur ce portail.</p>{}",
        esc(company),
        form(
            &format!("{base}/opco"),
            csrf,
            &fields,
            "Préremplir chez cet OPCO",
            "primary"
        )
    )
}

fn radio(opco: OpcoId, note: &str, disabled: bool) -> String {
    let id = format!("opco-{}", opco.slug());
    format!(
        "<p><input type=\"radio\" id=\"{id}\" name=\"opco\" value=\"{}\" required{}> <label for=\"{id}\">{}</label> <small>({})</small></p>",
        opco.slug(),
        if disabled { " disabled" } else { "" },
        esc(opco.name()),
        esc(note)
    )
}

#[derive(Deserialize)]
pub(super) struct OpcoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    opco: String,
}

/// `POST /review/filings/{id}/opco`: staff chose the OPCO; the prefill runs again on its portal.
pub(super) async fn choose(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    Form(form): Form<OpcoForm>,
) -> Response {
    let (who, id) = match posting(&state, &headers, &id, &form.csrf).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let filing = match state.store().filing(id).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                Some(&who),
                "Ce dossier n'existe pas (ou plus).",
            );
        }
        Err(error) => {
            tracing::error!(error = %error, "Cannot read a filing");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&who),
                "La base de données ne répond pas. Réessayez dans un instant.",
            );
        }
    };
    let chosen = OpcoId::from_slug(&form.opco).ok();
    let Some(opco) = chosen.filter(|o| automated(&filing).contains(o)) else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some(&who),
            "Choisissez un OPCO dans la liste : seuls les portails automatisés peuvent être préremplis.",
        );
    };
    let result = state
        .store()
        .choose_filing_opco(id, &who.session.login, opco.slug())
        .await
        .map(Some);
    tracing::info!(login = %who.session.login, filing = %id, portal = opco.slug(), ok = result.is_ok(), "Staff chose a filing's OPCO");
    decided(&state, &who, id, result).await
}
