use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use chromiumoxide::error::CdpError;

/// Everything that can go wrong while driving Chromium.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// Chromium could not be started at all (missing executable, bad flags).
    #[error("Chromium could not start from {path}: {reason}")]
    Launch { path: PathBuf, reason: String },
    /// Chromium started but did not answer in time.
    #[error("Chromium did not start within {after:?}")]
    LaunchTimeout { after: Duration },
    /// A call did not finish within its hard timeout.
    #[error("{operation} did not finish within {after:?}")]
    Timeout {
        operation: &'static str,
        after: Duration,
    },
    /// The Chromium process or its DevTools connection went away.
    #[error("the browser was lost during {operation}: {reason}")]
    Lost {
        operation: &'static str,
        reason: String,
    },
    /// A navigation failed at the network level (refused, DNS, reset).
    #[error("navigation to {url} failed: {reason}")]
    Navigation { url: String, reason: String },
    /// Chromium refused the call itself (bad parameters, missing node, script error).
    #[error("{operation} was refused by Chromium: {message}")]
    Protocol {
        operation: &'static str,
        message: String,
    },
    /// The caller asked for something impossible (empty HTML, negative margin, …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Local file-system trouble (profile directory, temp files).
    #[error("I/O error during {operation}: {source}")]
    Io {
        operation: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl BrowserError {
    /// Whether running the same job again, on a fresh browser, may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::LaunchTimeout { .. }
            | Self::Timeout { .. }
            | Self::Lost { .. }
            | Self::Navigation { .. }
            | Self::Io { .. } => true,
            Self::Launch { .. } | Self::Protocol { .. } | Self::InvalidArgument(_) => false,
        }
    }

    /// Wraps a chromiumoxide error with the name of the operation that raised it.
    pub(crate) fn from_cdp(operation: &'static str, err: CdpError) -> Self {
        match err {
            CdpError::Timeout => Self::Timeout {
                operation,
                after: Duration::ZERO,
            },
            CdpError::Ws(_)
            | CdpError::Io(_)
            | CdpError::NoResponse
            | CdpError::ChannelSendError(_)
            | CdpError::UnexpectedWsMessage(_) => Self::Lost {
                operation,
                reason: err.to_string(),
            },
            CdpError::Chrome(e) => Self::Protocol {
                operation,
                message: e.to_string(),
            },
            other => Self::Protocol {
                operation,
                message: other.to_string(),
            },
        }
    }
}

/// Runs one CDP future under a hard timeout, naming the operation in the error.
///
/// chromiumoxide's own request timeout is not enforced for navigations (its issue 333), so
/// every call made through this crate goes through here.
pub async fn with_timeout<T, F>(
    operation: &'static str,
    after: Duration,
    fut: F,
) -> Result<T, BrowserError>
where
    F: Future<Output = Result<T, CdpError>>,
{
    match tokio::time::timeout(after, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(CdpError::Timeout)) => Err(BrowserError::Timeout { operation, after }),
        Ok(Err(e)) => Err(BrowserError::from_cdp(operation, e)),
        Err(_) => Err(BrowserError::Timeout { operation, after }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_lost_browsers_are_retryable_and_bad_arguments_are_not() {
        let t = BrowserError::Timeout {
            operation: "print to PDF",
            after: Duration::from_secs(1),
        };
        assert!(t.is_retryable());
        assert!(t.to_string().contains("print to PDF"));
        let lost = BrowserError::from_cdp("navigate", CdpError::NoResponse);
        assert!(lost.is_retryable(), "{lost:?}");
        assert!(!BrowserError::InvalidArgument("x".into()).is_retryable());
        assert!(
            !BrowserError::from_cdp("pdf", CdpError::ChromeMessage("bad".into())).is_retryable()
        );
    }
}
