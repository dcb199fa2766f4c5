//! Why a desk action did not happen: a rule's refusal (the line the CLI would print),
//! a page drawn from an older version of the case, or a failure underneath (a 500).

use crate::plan::WorkflowError;
use crate::store::StoreError;

pub(crate) const STALE: &str = "This case changed since you opened it.";

/// Why an action did not happen.
pub(crate) enum Fail {
    /// The page was drawn from an older version of the case.
    Stale,
    /// A rule refused it: the one line the CLI would print.
    Refused(String),
    /// The store failed underneath: a 500, logged.
    Internal(anyhow::Error),
}

fn store_fail(e: StoreError) -> Fail {
    match e {
        StoreError::Sqlite(_) | StoreError::Open { .. } | StoreError::TooNew { .. } => {
            Fail::Internal(e.into())
        }
        e => Fail::Refused(e.to_string()),
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        store_fail(e)
    }
}

impl From<WorkflowError> for Fail {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Store(inner) => match inner.downcast::<StoreError>() {
                Ok(s) => store_fail(*s),
                Err(other) => Fail::Internal(anyhow::anyhow!(other)),
            },
            e => Fail::Refused(e.to_string()),
        }
    }
}

impl From<crate::accounts::AccountError> for Fail {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError;
        match e {
            AccountError::Refused(why) => Fail::Refused(why),
            AccountError::Store(s) => store_fail(s),
            e @ AccountError::Io(_) => Fail::Internal(e.into()),
        }
    }
}

impl Fail {
    /// A refusal's line (the stale-page notice for a stale page); an internal failure
    /// stays an error, for a 500.
    pub(crate) fn refusal(self) -> anyhow::Result<String> {
        match self {
            Fail::Internal(e) => Err(e),
            Fail::Refused(why) => Ok(why),
            Fail::Stale => Ok(STALE.to_string()),
        }
    }
}

impl From<anyhow::Error> for Fail {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<WorkflowError>() {
            Ok(w) => w.into(),
            Err(e) => match e.downcast::<StoreError>() {
                Ok(s) => store_fail(s),
                Err(e) => Fail::Internal(e),
            },
        }
    }
}

pub(crate) fn refused(msg: impl Into<String>) -> Fail {
    Fail::Refused(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(f: Fail) -> String {
        match f {
            Fail::Refused(s) => s,
            Fail::Stale => "stale".into(),
            Fail::Internal(e) => format!("internal: {e}"),
        }
    }

    #[test]
    fn refusals_are_the_clis_line_and_database_failures_are_not_shown() {
        assert_eq!(shown(crate::plan::refused("no").into()), "no");
        let missing: WorkflowError = StoreError::NotFound("EX-1".into()).into();
        assert_eq!(shown(missing.into()), "no case with reference EX-1");
        let broken: WorkflowError = StoreError::Open {
            path: "redress.db".into(),
            msg: "disk I/O error".into(),
        }
        .into();
        assert!(shown(broken.into()).starts_with("internal: "));
        let wrapped = anyhow::Error::from(crate::plan::refused("wrapped"));
        assert_eq!(shown(wrapped.into()), "wrapped");
        assert!(shown(anyhow::anyhow!("disk full").into()).starts_with("internal: "));
    }
}
