//! `GET /review/filings/{id}`: one filing as staff check it — the warnings, the decisions its
//! state allows, what was asked beside what the portal kept, the attachments, each portal page
//! as the portal showed it (read through the `recordings` crate), and the history.

use std::str::FromStr;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{FilingState, JobId};
use maud::{Markup, html};

use super::layout::{self, cell, state_badge, table};
use super::view::{self, Asked, EventRow, FilingView};
use super::{
    ReviewState, Staff, forms, html_response, not_found, opco, problem, staff, unavailable,
};

/// The filing of a page and what its prefill was asked, or the page saying why not.
pub(super) async fn load(
    state: &ReviewState,
    who: &Staff,
    id: &str,
) -> Result<(FilingView, Asked), Response> {
    let id = JobId::from_str(id).map_err(|_| not_found(who))?;
    match view::filing_and_asked(state.store(), id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(not_found(who)),
        Err(error) => Err(unavailable(Some(who), &error, "reading a filing")),
    }
}

pub(super) async fn detail(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (filing, asked) = match load(&state, &who, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let events = match view::events(state.store(), &state.settings, filing.id).await {
        Ok(events) => events,
        Err(error) => return unavailable(Some(&who), &error, "reading a filing's history"),
    };
    html_response(
        StatusCode::OK,
        layout::page(
            &format!("Dossier de {}", filing.trainee),
            Some(who.who()),
            body(&who, &filing, &asked, &events),
        ),
    )
}

fn body(who: &Staff, filing: &FilingView, asked: &Asked, events: &[EventRow]) -> Markup {
    let base = format!("/review/filings/{}", filing.id);
    html! {
        h1 { (filing.trainee) " — " (filing.action) }
        p { (filing.opco) " · " (filing.siret) " · début le " (filing.start) }
        p { "État : " (state_badge(filing.state)) }
        @if let Some(message) = &filing.state_message {
            p.notice[filing.state == FilingState::ReadyForReview]
                .error[filing.state != FilingState::ReadyForReview] role="status" { (message) }
        }
        @if let Some(dossier) = &filing.dossier {
            p.notice {
                "Déposé sur le portail sous le n° " strong { (dossier) }
                @if let Some(label) = &filing.portal_label { " — statut : " (label) }
                "."
            }
        }
        @for warning in &filing.warnings { p.warn { "⚠ " (warning) } }
        @if let Some(limit) = filing.deadline {
            p { "Date limite de dépôt : " (limit.format("%d/%m/%Y").to_string()) }
        }
        (decisions(who, filing, asked, &base))
        div.cols {
            section {
                h2 { "Ce qui était demandé" }
                (table(&["Champ", "Valeur"], asked.rows().into_iter().map(|(k, v)| vec![cell(k), cell(v)])))
            }
            section {
                h2 { "Conservé sur le portail" }
                p { "Relu sur le portail après l'enregistrement de chaque page, dans son récapitulatif." }
                @if filing.kept.is_empty() {
                    p { "Rien n'a encore été relu sur le portail." }
                } @else {
                    (table(
                        &["Champ du portail", "Demandé", "Conservé par le portail", "Accord"],
                        filing.kept.iter().map(|k| vec![cell(&k.label), cell(&k.asked), cell(&k.kept), same_mark(k.same)]),
                    ))
                }
            }
        }
        h2 { "Pièces jointes" }
        (table(&["Pièce", ""], asked.attachments().into_iter().map(|(key, label)| vec![
            cell(label),
            html! { a href=(format!("{base}/attachments/{key}")) { "Ouvrir le PDF (" (label) ")" } },
        ])))
        @if !filing.images.is_empty() {
            h2 { "Pages du portail" }
            div.shots {
                @for (i, image) in filing.images.iter().enumerate() {
                    figure {
                        figcaption { (image.label) }
                        img src=(format!("{base}/images/{i}")) alt=(image.label);
                    }
                }
            }
        }
        h2 { "Historique" }
        (table(&["Quand", "Qui", "Quoi", "État", "Détail"], events.iter().map(|e| vec![
            cell(&e.at), cell(&e.actor), cell(&e.action), cell(&e.state), cell(&e.detail),
        ])))
    }
}

fn same_mark(same: bool) -> Markup {
    html! {
        @if same {
            span.same title="identique" { "✓ identique" }
        } @else {
            strong.differs title="différent" { "✗ différent" }
        }
    }
}

/// The decisions the filing's state allows.
fn decisions(who: &Staff, filing: &FilingView, asked: &Asked, base: &str) -> Markup {
    let csrf = who.session.csrf.as_str();
    // A dossier on the portal is no request to correct or refuse any more.
    let on_portal = filing.dossier.is_some();
    let correctable = matches!(
        filing.state,
        FilingState::ReadyForReview | FilingState::NeedsAttention
    ) && asked.is_known()
        && !on_portal;
    html! {
        @match filing.state {
            FilingState::ReadyForReview if filing.kept_mismatch() => {
                p.error role="alert" { "Le portail ne conserve pas ce qui était demandé (voir « Conservé sur le portail ») : ce dossier ne peut pas être confirmé. Corrigez-le ou refusez-le." }
            }
            FilingState::ReadyForReview => { (forms::confirm(base, csrf)) }
            FilingState::NeedsInput => { (forms::code(base, csrf, filing.code_tries_left)) }
            FilingState::FiledUnknown => {
                @if let Some(list) = &filing.list_after_submit {
                    h2 { "Liste des demandes du portail, vue juste après le dépôt" }
                    @if list.is_empty() {
                        p { "La liste n'a pas pu être lue." }
                    } @else {
                        (table(&["Demande"], list.iter().map(|l| vec![cell(l)])))
                    }
                }
                (forms::retry(base, csrf,
                    "Ne redéposez pas à la main. « Relancer » recherche d'abord ce dossier sur le portail : s'il y est, son numéro est enregistré sans nouveau dépôt.",
                    "Relancer (rechercher le dossier)"))
            }
            FilingState::NeedsAttention => {
                @if let Some(choice) = &filing.opco_choice {
                    (opco::choice_form(choice, csrf, base))
                } @else {
                    (forms::retry(base, csrf,
                        "Une fois le problème réglé (CAPTCHA passé à la main, portail revenu, identifiants enregistrés), relancez.",
                        "Relancer"))
                }
            }
            FilingState::Granted => {
                @if let Some(ask) = &filing.agreement { (forms::agreement(base, csrf, ask)) }
            }
            _ => {}
        }
        // A request that may be on the portal cannot be refused here: it is checked first.
        @if filing.state.awaits_staff() && filing.state != FilingState::FiledUnknown && !on_portal {
            (forms::refuse(base, csrf))
        }
        @if correctable { (forms::correct(base, csrf, &asked.correction())) }
    }
}

/// `GET /review/filings/{id}/images/{n}`: a screenshot of the filing, from its recording.
pub(super) async fn image(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath((id, n)): UrlPath<(String, usize)>,
) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (filing, _) = match load(&state, &who, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(image) = filing.images.get(n) else {
        return problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette image n'existe pas.",
        );
    };
    let recordings = state.recordings.clone();
    let path = image.path.clone();
    let read = tokio::task::spawn_blocking(move || recordings.read_recorded(&path)).await;
    match read {
        Ok(Ok((file, bytes))) if file.media_type() == "image/png" => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            bytes,
        )
            .into_response(),
        outcome => {
            if let Ok(Err(error)) = outcome {
                tracing::info!(filing = %filing.id, image = n, error = %error, "Review image not served");
            }
            problem(
                StatusCode::NOT_FOUND,
                Some(&who),
                "Cette image n'est plus disponible (enregistrement purgé).",
            )
        }
    }
}

/// `GET /review/filings/{id}/attachments/{name}`: a PDF the request came with.
pub(super) async fn attachment(
    State(state): State<ReviewState>,
    headers: HeaderMap,
    UrlPath((id, name)): UrlPath<(String, String)>,
) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (_, asked) = match load(&state, &who, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(path) = asked.attachment(&name) else {
        return problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette pièce n'existe pas.",
        );
    };
    match tokio::fs::read(path).await {
        Ok(bytes) if bytes.starts_with(b"%PDF") => {
            ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response()
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            Some(&who),
            "Cette pièce n'est plus lisible à l'endroit indiqué par la demande.",
        ),
    }
}
