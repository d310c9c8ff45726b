//! The employer's action after an agreement, on the portals that await one
//! ([`PortalSpec::start_confirmation`]: Uniformation's start to confirm, Afdas's offer to
//! accept): what a summary offers, why the portal refuses the action, and the change of state.
//!
//! Both front ends (the server's `<home>/<id>/accord` page, the app's dialog and
//! `/api/demandes/<id>/accord`) go through [`Shared::agree`], so that the count of actions, the
//! refusals and the `agreement_ack_hidden` switch mean the same on either.

use axum::http::HeaderMap;
use chrono::Utc;

use crate::app::{NoAccount, Shared, account_of};
use crate::spec::{PortalSpec, StartConfirmation};
use crate::state::{Request, State, Status};

/// What the page after an applied action says, alone, under the `agreement_ack_hidden` switch.
pub(crate) const PENDING: &str = "Votre demande est en cours de traitement.";

/// Why the portal did not apply the action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The box was not ticked: nothing changed, nothing counted.
    Unattested,
    /// Done already, on this day (`jj/mm/aaaa`).
    AlreadyDone { on: String },
    /// The request awaits no action: not granted yet, refused, or granted on a portal that
    /// asks nothing more.
    NothingAwaited,
}

impl Refusal {
    /// What the portal says.
    pub(crate) fn message(&self) -> String {
        match self {
            Refusal::Unattested => "Cochez la case pour confirmer.".into(),
            Refusal::AlreadyDone { on } => format!("Cette action a déjà été faite le {on}."),
            Refusal::NothingAwaited => "Aucune action n'est attendue sur ce dossier.".into(),
        }
    }
}

impl Status {
    /// The status once the employer acted on `on` (`jj/mm/aaaa`) on `spec`'s portal; refused
    /// unless the action is awaited.
    pub(crate) fn confirm_start(&self, spec: &PortalSpec, on: &str) -> Result<Status, Refusal> {
        match self {
            _ if spec.start_confirmation.is_none() => Err(Refusal::NothingAwaited),
            Status::StartToConfirm { amount_cents, .. } => Ok(Status::StartConfirmed {
                amount_cents: *amount_cents,
                on: on.to_owned(),
            }),
            Status::StartConfirmed { on, .. } => Err(Refusal::AlreadyDone { on: on.clone() }),
            _ => Err(Refusal::NothingAwaited),
        }
    }
}

/// The portal's words for the action and the comment with its last day, while the request
/// awaits it.
pub(crate) fn awaited(spec: &PortalSpec, r: &Request) -> Option<(StartConfirmation, String)> {
    let sc = spec.start_confirmation?;
    match &r.status {
        Status::StartToConfirm { before, .. } => Some((sc, sc.comment.replace("{date}", before))),
        _ => None,
    }
}

/// What a request's summary says once the action is done.
pub(crate) fn done_message(spec: &PortalSpec, r: &Request) -> Option<String> {
    let sc = spec.start_confirmation?;
    match &r.status {
        Status::StartConfirmed { on, .. } => Some(sc.done_message.replace("{date}", on)),
        _ => None,
    }
}

/// Why the action would be refused on this request now, its box ticked.
pub(crate) fn refusal_now(spec: &PortalSpec, r: &Request) -> Option<Refusal> {
    r.status.confirm_start(spec, "").err()
}

/// An action the portal applied.
#[derive(Debug)]
pub(crate) struct Agreed {
    /// The request as it is now.
    pub(crate) request: Box<Request>,
    /// Whether the page after it may show the outcome (false under `agreement_ack_hidden`).
    pub(crate) shown: bool,
}

/// Why an action was not applied.
#[derive(Debug)]
pub(crate) enum NotDone {
    NoAccount(NoAccount),
    /// No such request of this account.
    NotFound,
    /// Refused (and counted, unless the box was not ticked); the request as it is now.
    Refused {
        request: Box<Request>,
        refusal: Refusal,
    },
}

/// The action on the account's request `id`, on `today` (`jj/mm/aaaa`): counted whenever the
/// box is ticked, applied only while it is awaited. The caller saves the state.
pub(crate) fn act(
    spec: &PortalSpec,
    st: &mut State,
    email: &str,
    id: u32,
    attested: bool,
    today: &str,
) -> Result<Request, NotDone> {
    let r = st
        .requests
        .iter_mut()
        .find(|r| r.id == id && r.account == email)
        .ok_or(NotDone::NotFound)?;
    let refused = |r: &Request, refusal| NotDone::Refused {
        request: Box::new(r.clone()),
        refusal,
    };
    if !attested {
        return Err(refused(r, Refusal::Unattested));
    }
    r.agreement_actions += 1;
    match r.status.confirm_start(spec, today) {
        Ok(next) => {
            r.set_status(next, spec);
            Ok(r.clone())
        }
        Err(refusal) => Err(refused(r, refusal)),
    }
}

impl Shared {
    /// The employer's action on request `id` from this session, box ticked or not; saved when
    /// counted.
    pub(crate) fn agree(
        &self,
        headers: &HeaderMap,
        id: u32,
        attested: bool,
    ) -> Result<Agreed, NotDone> {
        let email = account_of(self, headers).map_err(NotDone::NoAccount)?;
        let today = Utc::now().format("%d/%m/%Y").to_string();
        let hidden = self.faults().agreement_ack_hidden;
        let mut st = self.state();
        let done = act(self.spec, &mut st, &email, id, attested, &today);
        let counted = !matches!(
            done,
            Err(NotDone::NotFound
                | NotDone::Refused {
                    refusal: Refusal::Unattested,
                    ..
                })
        );
        if counted {
            self.save(&st);
        }
        done.map(|request| Agreed {
            request: Box::new(request),
            shown: !hidden,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use domain::OpcoId;

    use super::*;

    fn afdas() -> &'static PortalSpec {
        crate::spec::spec(OpcoId::Afdas).unwrap()
    }

    /// A state holding one filed request of `owner` in this status.
    fn state_with(owner: &str, status: Status) -> State {
        let now = Utc::now();
        State {
            requests: vec![Request {
                id: 1,
                account: owner.into(),
                values: BTreeMap::new(),
                files: BTreeMap::new(),
                dossier: Some("DPC-2026-000201".into()),
                status,
                created_at: now,
                filed_at: Some(now),
                status_changed_at: now,
                history: Vec::new(),
                site: None,
                agreement_actions: 0,
            }],
            ..State::default()
        }
    }

    fn to_accept() -> Status {
        Status::StartToConfirm {
            amount_cents: 150_000,
            before: "30/06/2026".into(),
        }
    }

    #[test]
    fn an_awaited_action_is_applied_once_with_its_day_and_a_history_line() {
        let spec = afdas();
        let mut st = state_with("a@x.fr", to_accept());
        let r = act(spec, &mut st, "a@x.fr", 1, true, "12/05/2026").unwrap();
        assert_eq!(
            r.status,
            Status::StartConfirmed {
                amount_cents: 150_000,
                on: "12/05/2026".into()
            }
        );
        assert_eq!(r.agreement_actions, 1);
        let done = spec.start_confirmation.unwrap().done_label;
        assert_eq!(r.status.label(spec), done);
        assert_eq!(r.history.last().map(|(_, l)| l.as_str()), Some(done));
        assert_eq!(
            done_message(spec, &r).as_deref(),
            Some("Financement accepté le 12/05/2026.")
        );
        assert!(awaited(spec, &r).is_none(), "no longer offered");
    }

    #[test]
    fn a_second_action_is_counted_and_refused_with_the_day_of_the_first() {
        let spec = afdas();
        let mut st = state_with("a@x.fr", to_accept());
        act(spec, &mut st, "a@x.fr", 1, true, "12/05/2026").unwrap();
        let history = st.requests[0].history.len();
        let Err(NotDone::Refused { request, refusal }) =
            act(spec, &mut st, "a@x.fr", 1, true, "13/05/2026")
        else {
            panic!("a second action must be refused");
        };
        assert_eq!(
            refusal,
            Refusal::AlreadyDone {
                on: "12/05/2026".into()
            }
        );
        assert_eq!(
            refusal.message(),
            "Cette action a déjà été faite le 12/05/2026."
        );
        assert_eq!(request.agreement_actions, 2);
        assert_eq!(st.requests[0].agreement_actions, 2);
        assert_eq!(st.requests[0].history.len(), history, "status unchanged");
        assert!(matches!(
            st.requests[0].status,
            Status::StartConfirmed { ref on, .. } if on == "12/05/2026"
        ));
    }

    #[test]
    fn an_action_without_its_box_ticked_changes_and_counts_nothing() {
        let spec = afdas();
        let mut st = state_with("a@x.fr", to_accept());
        let Err(NotDone::Refused { refusal, .. }) =
            act(spec, &mut st, "a@x.fr", 1, false, "12/05/2026")
        else {
            panic!("an unticked box must be refused");
        };
        assert_eq!(refusal, Refusal::Unattested);
        assert_eq!(st.requests[0].agreement_actions, 0);
        assert_eq!(st.requests[0].status, to_accept());
        assert!(st.requests[0].history.is_empty());
    }

    #[test]
    fn another_accounts_request_is_not_found_and_left_alone() {
        let spec = afdas();
        let mut st = state_with("a@x.fr", to_accept());
        assert!(matches!(
            act(spec, &mut st, "b@x.fr", 1, true, "12/05/2026"),
            Err(NotDone::NotFound)
        ));
        assert!(matches!(
            act(spec, &mut st, "a@x.fr", 2, true, "12/05/2026"),
            Err(NotDone::NotFound)
        ));
        assert_eq!(st.requests[0].agreement_actions, 0);
        assert_eq!(st.requests[0].status, to_accept());
    }

    #[test]
    fn an_action_on_a_request_that_awaits_none_is_counted_and_refused() {
        let spec = afdas();
        let mut st = state_with("a@x.fr", Status::InReview);
        let Err(NotDone::Refused { refusal, .. }) =
            act(spec, &mut st, "a@x.fr", 1, true, "12/05/2026")
        else {
            panic!("nothing is awaited in review");
        };
        assert_eq!(refusal, Refusal::NothingAwaited);
        assert_eq!(st.requests[0].agreement_actions, 1);
        assert_eq!(st.requests[0].status, Status::InReview);

        // A portal that asks nothing after an agreement refuses it too.
        let atlas = crate::spec::spec(OpcoId::Atlas).unwrap();
        assert!(atlas.start_confirmation.is_none());
        let mut st = state_with("a@x.fr", to_accept());
        assert!(matches!(
            act(atlas, &mut st, "a@x.fr", 1, true, "12/05/2026"),
            Err(NotDone::Refused {
                refusal: Refusal::NothingAwaited,
                ..
            })
        ));
        assert_eq!(
            Status::StartConfirmed {
                amount_cents: 1,
                on: "12/05/2026".into()
            }
            .label(atlas),
            atlas.statuses.granted
        );
    }
}
