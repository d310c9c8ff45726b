//! `GET /review`: the filings waiting for a person, oldest first, the polling rounds waiting for
//! a code, and the latest filings with their dossier and portal status.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Local, NaiveDate};
use maud::{Markup, html};

use super::layout::{self, cell, state_badge, table};
use super::view::{self, Lists};
use super::{ReviewState, Staff, forms, html_response, staff, unavailable};

pub(super) async fn list(State(state): State<ReviewState>, headers: HeaderMap) -> Response {
    let who = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match view::lists(state.store()).await {
        Ok(lists) => html_response(
            StatusCode::OK,
            layout::page(
                "Dossiers à relire",
                Some(who.who()),
                body(&who, &lists, Local::now().date_naive()),
            ),
        ),
        Err(error) => unavailable(Some(&who), &error, "listing the filings"),
    }
}

fn body(who: &Staff, lists: &Lists, today: NaiveDate) -> Markup {
    let waiting = lists.waiting.iter().map(|f| {
        let limit = f.deadline.map_or_else(
            || "—".to_owned(),
            |d| {
                let late = if d < today { " (dépassée)" } else { "" };
                format!("{}{late}", d.format("%d/%m/%Y"))
            },
        );
        vec![
            cell(&f.opco),
            cell(&f.siret),
            cell(&f.trainee),
            cell(&f.start),
            cell(limit),
            cell(&f.waiting),
            html! {
                (state_badge(f.state))
                @if let Some(what) = &f.after_agreement { " — " (what) }
            },
            html! {
                a href=(format!("/review/filings/{}", f.id)) { "Ouvrir le dossier de " (f.trainee) }
            },
        ]
    });
    let recent = lists.recent.iter().map(|f| {
        vec![
            cell(&f.opco),
            cell(&f.trainee),
            cell(&f.action),
            state_badge(f.state),
            cell(f.dossier.as_deref().unwrap_or("—")),
            cell(f.portal_label.as_deref().unwrap_or("—")),
            cell(if f.overdue {
                "Sans réponse au-delà du délai habituel"
            } else {
                ""
            }),
            html! { a href=(format!("/review/filings/{}", f.id)) { "Voir" } },
        ]
    });
    html! {
        h1 { "Dossiers à relire (" (lists.waiting.len()) ")" }
        p { "Les plus anciens d'abord." }
        @if lists.waiting.is_empty() {
            p.notice { "Aucun dossier n'attend de relecture." }
        } @else {
            (table(
                &["OPCO", "Entreprise (SIRET)", "Stagiaire", "Début", "Date limite de dépôt",
                  "En attente depuis", "État", ""],
                waiting,
            ))
        }
        @if !lists.rounds.is_empty() {
            h2 { "Suivi des statuts en attente d'un code" }
            @for round in &lists.rounds { (forms::round_code(round, &who.session.csrf)) }
        }
        h2 { "Derniers dossiers" }
        (table(
            &["OPCO", "Stagiaire", "Formation", "État", "N° de dossier", "Statut sur le portail",
              "Alerte", ""],
            recent,
        ))
    }
}
