use crate::action::FieldError;

/// Everything that can stop a document from being produced or sent.
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    /// The input breaks one or more rules; nothing was rendered.
    #[error("the action is invalid: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// A template could not be loaded or rendered (a broken override, a missing field).
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
    /// Chromium failed or timed out.
    #[error("PDF rendering failed")]
    Browser(#[from] browser::BrowserError),
    /// The PDF Chromium produced could not be post-processed.
    #[error("PDF post-processing failed: {0}")]
    Pdf(String),
    /// The zip could not be written.
    #[error("zip pack: {0}")]
    Zip(String),
    /// A sender or recipient address is malformed.
    #[error("invalid e-mail address {address}: {message}")]
    Address { address: String, message: String },
    /// The message could not be delivered.
    #[error("e-mail not delivered: {message}")]
    Email { message: String, retryable: bool },
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl DocumentsError {
    /// Whether trying again later may succeed (a busy browser or mail server) or a person
    /// must change something first (the input, a template, an address).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Browser(e) => e.is_retryable(),
            Self::Email { retryable, .. } => *retryable,
            Self::Invalid(_)
            | Self::Template { .. }
            | Self::Pdf(_)
            | Self::Zip(_)
            | Self::Address { .. } => false,
        }
    }
}
