use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every kind of job the fleet knows. A kind the API accepts must also have a handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Log into the client's OPCO portal and prefill a funding request, stopping before submit.
    PrefillFiling,
    /// Submit a filing that staff confirmed, and capture the portal's reference.
    SubmitFiling,
    /// Read the statuses of a client account's requests on a portal.
    PollStatus,
    /// Read an identity document's MRZ and decide whether it is acceptable.
    CheckIdentityDocument,
    /// Render the devis, programme, convention and certificat as PDF, and the DPC pack.
    RenderDocuments,
    /// E-mail a rendered DPC pack.
    SendDocuments,
    /// Diagnostic job: waits, then succeeds (or fails as asked), to check a fleet end to end.
    Probe,
    /// From a SIRET to the company, its OPCO (or the candidates) and what can be filed.
    ResolveCompany,
    /// Perform on the portal, once staff confirmed it, what an agreement asks of the employer
    /// (confirm the start, accept the offer).
    ActOnAgreement,
}

/// A string that names no job kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job kind `{0}`")]
pub struct UnknownKind(pub String);

impl JobKind {
    /// All kinds, in the order the API documents them.
    pub const ALL: [JobKind; 9] = [
        Self::PrefillFiling,
        Self::SubmitFiling,
        Self::PollStatus,
        Self::CheckIdentityDocument,
        Self::RenderDocuments,
        Self::SendDocuments,
        Self::Probe,
        Self::ResolveCompany,
        Self::ActOnAgreement,
    ];

    /// The wire name (`prefill_filing`, …), also used as a bounded metric label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PrefillFiling => "prefill_filing",
            Self::SubmitFiling => "submit_filing",
            Self::PollStatus => "poll_status",
            Self::CheckIdentityDocument => "check_identity_document",
            Self::RenderDocuments => "render_documents",
            Self::SendDocuments => "send_documents",
            Self::Probe => "probe",
            Self::ResolveCompany => "resolve_company",
            Self::ActOnAgreement => "act_on_agreement",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.chars().take(64).collect()))
    }
}
