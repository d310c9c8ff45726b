//! A local imitation of the public "Recherche d'entreprises" API (`GET /search?q=<siret>`),
//! answering in its documented shape, with scripted failures (429, 5xx, slow or malformed
//! answers) and a log of every call with its arrival time, so that tests can count calls and
//! measure the rate the fleet keeps.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One scripted answer to the next search of a SIRET.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The company's normal answer.
    Normal,
    /// This HTTP status with an empty JSON error body.
    Status(u16),
    /// HTTP 429 with a `Retry-After` of this many seconds.
    TooManyRequests { retry_after_s: u64 },
    /// 200 with this raw body (malformed or truncated JSON, a wrong shape).
    Raw(String),
    /// Wait this long, then give the normal answer (a timeout on the client's side).
    Slow(Duration),
}

/// One call received.
#[derive(Clone, Debug)]
pub struct Call {
    /// The `q` parameter.
    pub q: String,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
struct DirState {
    companies: Mutex<HashMap<String, Value>>,
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    calls: Mutex<Vec<Call>>,
}

/// The directory serving on a local port; stops when dropped.
pub struct Directory {
    url: String,
    state: Arc<DirState>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").field("url", &self.url).finish()
    }
}

impl Drop for Directory {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(State(state): State<Arc<DirState>>, Query(query): Query<SearchQuery>) -> Response {
    let q = query.q.trim().to_owned();
    state.calls.lock().unwrap().push(Call {
        q: q.clone(),
        at: Instant::now(),
    });
    let reply = state
        .scripts
        .lock()
        .unwrap()
        .get_mut(&q)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Reply::Normal);
    match reply {
        Reply::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(json!({"erreur": "erreur simulée"}))).into_response()
        }
        Reply::TooManyRequests { retry_after_s } => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_s.to_string())],
            axum::Json(json!({"erreur": "Trop de requêtes"})),
        )
            .into_response(),
        Reply::Raw(body) => {
            (StatusCode::OK, [("content-type", "application/json")], body).into_response()
        }
        Reply::Slow(delay) => {
            tokio::time::sleep(delay).await;
            normal(&state, &q).into_response()
        }
        Reply::Normal => normal(&state, &q).into_response(),
    }
}

fn normal(state: &DirState, q: &str) -> axum::Json<Value> {
    let found = state.companies.lock().unwrap().get(q).cloned();
    let results: Vec<Value> = found.into_iter().collect();
    let total = results.len();
    axum::Json(json!({
        "results": results,
        "total_results": total,
        "page": 1,
        "per_page": 10,
        "total_pages": if total == 0 { 0 } else { 1 },
    }))
}

impl Directory {
    /// Starts the directory on `127.0.0.1` with a free port.
    pub async fn spawn() -> std::io::Result<Self> {
        let state = Arc::new(DirState::default());
        let app = Router::new()
            .route("/search", get(search))
            .with_state(Arc::clone(&state));
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "Directory sandbox stopped");
            }
        });
        Ok(Self {
            url: format!("http://{addr}"),
            state,
            task,
        })
    }

    /// Its base URL (`company_lookup.base_url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Adds a company: a result object in the API's shape, answered for each SIRET given.
    pub fn add(&self, sirets: &[&str], result: Value) {
        let mut companies = self.state.companies.lock().unwrap();
        for s in sirets {
            companies.insert((*s).to_owned(), result.clone());
        }
    }

    /// Adds a company built by a fixture, answered for its establishment's SIRET.
    pub fn add_fixture(&self, fixture: &CompanyFixture) {
        self.add(&[fixture.siret.as_str()], fixture.json());
    }

    /// The next searches of `q` get these replies, in order, then normal answers.
    pub fn script(&self, q: &str, replies: Vec<Reply>) {
        self.state
            .scripts
            .lock()
            .unwrap()
            .entry(q.to_owned())
            .or_default()
            .extend(replies);
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    /// How many calls were for `q`.
    pub fn calls_for(&self, q: &str) -> usize {
        self.state
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.q == q)
            .count()
    }

    /// The most calls that arrived within any one second (a sliding window).
    pub fn max_calls_in_any_second(&self) -> usize {
        let mut times: Vec<Instant> = self.calls().iter().map(|c| c.at).collect();
        times.sort();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }
}

/// A company in the API's shape, for tests: one establishment (the SIRET searched), its head
/// office, collective agreements at each level, headcount, training facts.
#[derive(Clone, Debug)]
pub struct CompanyFixture {
    pub siret: String,
    pub name: String,
    pub naf: String,
    /// The head office's SIRET; the establishment is the head office when equal.
    pub siege_siret: String,
    pub establishment_idcc: Option<Vec<String>>,
    pub siege_idcc: Option<Vec<String>>,
    pub company_idcc: Option<Vec<String>>,
    pub band: Option<String>,
    pub band_year: Option<String>,
    /// Closing date of the establishment, when closed.
    pub closed_on: Option<String>,
    pub training_organisation: bool,
    pub qualiopi: bool,
    pub nda: Vec<String>,
}

impl CompanyFixture {
    /// An open head office with these IDCC (at every level), 20 to 49 employees in 2023.
    pub fn new(siret: &str, name: &str, idcc: &[&str]) -> Self {
        let list: Vec<String> = idcc.iter().map(|s| (*s).to_owned()).collect();
        Self {
            siret: siret.to_owned(),
            name: name.to_owned(),
            naf: "62.02A".to_owned(),
            siege_siret: siret.to_owned(),
            establishment_idcc: Some(list.clone()),
            siege_idcc: Some(list.clone()),
            company_idcc: Some(list),
            band: Some("12".to_owned()),
            band_year: Some("2023".to_owned()),
            closed_on: None,
            training_organisation: false,
            qualiopi: false,
            nda: Vec::new(),
        }
    }

    /// The result object as the API gives it.
    pub fn json(&self) -> Value {
        let establishment = |siret: &str, idcc: &Option<Vec<String>>, closed: &Option<String>| {
            json!({
                "siret": siret,
                "activite_principale": self.naf,
                "adresse": format!("12 RUE DES ÉCOLES 67500 HAGUENAU ({})", &siret[9..]),
                "code_postal": "67500",
                "libelle_commune": "HAGUENAU",
                "est_siege": siret == self.siege_siret,
                "etat_administratif": if closed.is_some() { "F" } else { "A" },
                "date_fermeture": closed,
                "date_creation": "2015-03-02",
                "liste_idcc": idcc,
                "tranche_effectif_salarie": self.band,
            })
        };
        let siege_closed = if self.siret == self.siege_siret {
            self.closed_on.clone()
        } else {
            None
        };
        json!({
            "siren": &self.siret[..9],
            "nom_complet": self.name,
            "nom_raison_sociale": self.name,
            "activite_principale": self.naf,
            "categorie_entreprise": "PME",
            "etat_administratif": "A",
            "date_fermeture": null,
            "nombre_etablissements": if self.siret == self.siege_siret { 1 } else { 2 },
            "nombre_etablissements_ouverts": 1,
            "tranche_effectif_salarie": self.band,
            "annee_tranche_effectif_salarie": self.band_year,
            "siege": establishment(&self.siege_siret, &self.siege_idcc, &siege_closed),
            "matching_etablissements": [establishment(&self.siret, &self.establishment_idcc, &self.closed_on)],
            "complements": {
                "est_organisme_formation": self.training_organisation,
                "est_qualiopi": self.qualiopi,
                "liste_id_organisme_formation": if self.nda.is_empty() { Value::Null } else { json!(self.nda) },
                "liste_idcc": self.company_idcc,
                "convention_collective_renseignee": self.company_idcc.is_some(),
                "est_ess": false,
            },
        })
    }
}

/// The 14th digit that makes 13 digits a valid SIRET (Luhn), for building test SIRETs.
pub fn siret_with_key(first13: &str) -> String {
    for key in 0..10 {
        let candidate = format!("{first13}{key}");
        let sum: u32 = candidate
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return candidate;
        }
    }
    unreachable!("one of ten keys always completes a Luhn sum")
}
