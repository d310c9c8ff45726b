use domain::SiretError;

/// Why a company could not be looked up. Each has a stable machine code, a French message for
/// people, and whether another try may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// Not a SIRET (length, characters, Luhn key).
    #[error("SIRET invalide « {input} » : {source}")]
    InvalidSiret { input: String, source: SiretError },
    /// The register knows no company for this SIRET.
    #[error(
        "aucune entreprise ne correspond au SIRET {siret} dans le répertoire des entreprises : vérifiez le numéro (il est peut-être d'un établissement radié depuis longtemps ou mal recopié)"
    )]
    NotFound { siret: String },
    /// The company is known but the answer does not list the establishment asked.
    #[error(
        "l'entreprise {siren} est connue, mais l'établissement {siret} n'apparaît pas dans la réponse de l'annuaire : rien n'est déduit, vérifiez le SIRET de l'établissement"
    )]
    EstablishmentNotListed { siret: String, siren: String },
    /// The answer is not in the documented shape (truncated, wrong types, missing fields).
    #[error(
        "réponse illisible de l'annuaire des entreprises ({detail}) : rien n'en est déduit ; réessayez plus tard, et signalez-le si cela dure"
    )]
    Malformed { detail: String },
    /// Still answered 429 after every retry.
    #[error(
        "l'annuaire des entreprises limite nos appels (HTTP 429) et a refusé {attempts} essais : la recherche sera reprise plus tard"
    )]
    RateLimited { attempts: u32 },
    /// Still answered 5xx after every retry.
    #[error(
        "l'annuaire des entreprises est en panne (HTTP {status}) après {attempts} essais : la recherche sera reprise plus tard"
    )]
    Unavailable { status: u16, attempts: u32 },
    /// No answer in time, after every retry.
    #[error(
        "l'annuaire des entreprises n'a pas répondu à temps ({attempts} essais de {timeout_ms} ms) : la recherche sera reprise plus tard"
    )]
    Timeout { attempts: u32, timeout_ms: u64 },
    /// The connection failed, after every retry.
    #[error(
        "l'annuaire des entreprises est injoignable ({detail}) après {attempts} essais : vérifiez le réseau et company_lookup.base_url"
    )]
    Unreachable { detail: String, attempts: u32 },
    /// Another 4xx: our request is wrong for this API.
    #[error(
        "l'annuaire des entreprises a refusé la demande (HTTP {status}) : vérifiez company_lookup.base_url"
    )]
    Refused { status: u16 },
    /// The cache or the shared pace in the store failed.
    #[error(
        "le cache des entreprises est inaccessible ({0}) : la recherche sera reprise plus tard"
    )]
    Store(String),
}

impl LookupError {
    /// Stable, snake_case: what integrators match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidSiret { .. } => "invalid_siret",
            Self::NotFound { .. } => "company_not_found",
            Self::EstablishmentNotListed { .. } => "establishment_not_listed",
            Self::Malformed { .. } => "company_lookup_malformed",
            Self::RateLimited { .. } => "company_lookup_rate_limited",
            Self::Unavailable { .. } => "company_lookup_unavailable",
            Self::Timeout { .. } => "company_lookup_timeout",
            Self::Unreachable { .. } => "company_lookup_unreachable",
            Self::Refused { .. } => "company_lookup_refused",
            Self::Store(_) => "company_lookup_store",
        }
    }

    /// The French message for people: the display, capitalised, without the English detail of
    /// a connection or store failure.
    pub fn message_fr(&self) -> String {
        let text = match self {
            // The connection's and the store's own wording is English: it stays in the logs.
            Self::Unreachable { attempts, .. } => format!(
                "l'annuaire des entreprises est injoignable après {attempts} essais : vérifiez le réseau et company_lookup.base_url"
            ),
            Self::Store(_) => {
                "le cache des entreprises est inaccessible : la recherche sera reprise plus tard"
                    .to_owned()
            }
            _ => self.to_string(),
        };
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }

    /// Whether a later try may succeed (the API or the store was down, not the input wrong).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Unavailable { .. }
            | Self::Timeout { .. }
            | Self::Unreachable { .. }
            | Self::Store(_) => true,
            Self::InvalidSiret { .. }
            | Self::NotFound { .. }
            | Self::EstablishmentNotListed { .. }
            | Self::Malformed { .. }
            | Self::Refused { .. } => false,
        }
    }

    /// Whether the input is at fault (a bad SIRET, or one the register does not know).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::InvalidSiret { .. } | Self::NotFound { .. } | Self::EstablishmentNotListed { .. }
        )
    }
}

impl From<sqlx::Error> for LookupError {
    fn from(value: sqlx::Error) -> Self {
        Self::Store(value.to_string())
    }
}
