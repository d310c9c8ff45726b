//! Choosing the OPCO of a filing whose company's OPCO could not be resolved from its SIRET
//! (`opco_unresolved`): the candidates and the reason, the portals the fleet can file on, and
//! one decision that runs the prefill again on the chosen portal.

use axum::extract::{Form, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::OpcoId;
use filings::FilingStore;
use maud::{Markup, html};
use serde::Deserialize;

use super::decisions::decided;
use super::layout::{Button, post_form};
use super::view::{self, OpcoChoice};
use super::{ReviewState, not_found, posting, problem, unavailable};

/// The form: each portal the fleet files on, the candidates first with why they are.
pub(super) fn choice_form(choice: &OpcoChoice, csrf: &str, base: &str) -> Markup {
    let others = choice
        .automated
        .iter()
        .filter(|o| !choice.candidates.iter().any(|(c, _)| c == *o));
    let fields = html! {
        fieldset {
            legend { "OPCO de l'entreprise" }
            @for (opco, because) in &choice.candidates {
                @let automated = choice.automated.contains(opco);
                @let note = if automated {
                    format!("candidat : {because}")
                } else {
                    format!("candidat : {because} — portail non automatisé, dépôt à la main")
                };
                (radio(*opco, &note, !automated))
            }
            @for opco in others { (radio(*opco, "autre portail automatisé", false)) }
        }
    };
    html! {
        h2 { "Choisir l'OPCO" }
        p {
            "L'OPCO de " (choice.company) " n'a pas pu être déterminé d'après son SIRET. "
            "Choisissez-le : le préremplissage reprend sur ce portail."
        }
        (post_form(&format!("{base}/opco"), csrf, fields, "Préremplir chez cet OPCO", Button::Primary))
    }
}

fn radio(opco: OpcoId, note: &str, disabled: bool) -> Markup {
    let id = format!("opco-{}", opco.slug());
    html! {
        p {
            input type="radio" id=(id) name="opco" value=(opco.slug()) required disabled[disabled];
            " " label for=(id) { (opco.name()) } " " small { "(" (note) ")" }
        }
    }
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
    let filing = match view::filing(state.store(), id).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(&who),
        Err(error) => return unavailable(Some(&who), &error, "reading a filing"),
    };
    let Some(choice) = filing.opco_choice else {
        return problem(
            StatusCode::CONFLICT,
            Some(&who),
            &format!(
                "Le dossier a changé entre-temps (état : {}) : rien n'a été fait. Rouvrez-le.",
                filing.state.label_fr()
            ),
        );
    };
    let chosen = OpcoId::from_slug(&form.opco).ok();
    let Some(opco) = chosen.filter(|o| choice.automated.contains(o)) else {
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
