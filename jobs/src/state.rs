use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a job stands. `Succeeded`, `Failed` and `Cancelled` are final; `NeedsHuman` waits for a
/// person and is left only by an explicit action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Accepted, waiting for a worker.
    Queued,
    /// A worker holds its lease and runs it.
    Running,
    /// Failed with a retryable error, or asked to wait (a paused portal); runs again after its
    /// delay.
    WaitingRetry,
    /// Waiting for a person (a review, a 2FA code, an unknown portal state).
    NeedsHuman,
    /// Done; its result is stored.
    Succeeded,
    /// Ended with an error (permanent, or retryable after the last attempt).
    Failed,
    /// Cancelled on request.
    Cancelled,
}

/// A state change the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a job cannot go from `{from}` to `{to}`")]
pub struct IllegalTransition {
    /// The state the job is in.
    pub from: JobState,
    /// The state asked for.
    pub to: JobState,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 7] = [
        Self::Queued,
        Self::Running,
        Self::WaitingRetry,
        Self::NeedsHuman,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::WaitingRetry => "waiting_retry",
            Self::NeedsHuman => "needs_human",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// A final state never changes again.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }

    /// States a worker may claim the job from.
    pub const fn is_claimable(self) -> bool {
        matches!(self, Self::Queued | Self::WaitingRetry)
    }

    /// The one place that says which moves are legal.
    pub fn transition(self, to: JobState) -> Result<JobState, IllegalTransition> {
        use JobState::*;
        let legal = match (self, to) {
            (Queued | WaitingRetry, Running) => true,
            (Running, Succeeded | Failed | WaitingRetry | NeedsHuman | Cancelled) => true,
            // A lost lease (dead worker) or a graceful shutdown puts the job back in line.
            (Running, Queued) => true,
            (Queued | WaitingRetry | NeedsHuman, Cancelled) => true,
            // A person answered: the job runs again.
            (NeedsHuman, Queued) => true,
            // A person closed it: done (a filing confirmed) or failed (a filing refused).
            (NeedsHuman, Succeeded | Failed) => true,
            // A job that killed its worker too often is failed by the reaper.
            (Queued | WaitingRetry, Failed) => true,
            _ => false,
        };
        if legal {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no job state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job state `{0}`")]
pub struct UnknownState(pub String);

impl FromStr for JobState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownState(s.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_never_move_again() {
        for from in JobState::ALL.into_iter().filter(|s| s.is_final()) {
            for to in JobState::ALL {
                assert!(
                    from.transition(to).is_err(),
                    "{from} -> {to} must be refused"
                );
            }
        }
    }

    #[test]
    fn a_running_job_can_end_in_every_way() {
        for to in [
            JobState::Succeeded,
            JobState::Failed,
            JobState::WaitingRetry,
            JobState::NeedsHuman,
            JobState::Queued,
        ] {
            assert_eq!(JobState::Running.transition(to), Ok(to));
        }
        assert!(JobState::Queued.transition(JobState::Succeeded).is_err());
    }

    #[test]
    fn wire_names_round_trip() {
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>().unwrap(), s);
        }
    }
}
