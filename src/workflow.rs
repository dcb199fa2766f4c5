//! The workflow, in three layers: pure planners ([`crate::plan`]) decide what an
//! action or an automatic step changes; the officers' actions ([`crate::actions`]) and
//! the scheduler's sweep ([`crate::sweep`]) load a case, plan, and have the store
//! write the plan in one transaction with its events and letters.
//!
//! This module keeps the names callers know (`workflow::tick`, `workflow::reply`...)
//! and which policy governs a case.

use crate::config::Config;
use crate::policy::Policy;
use crate::store::{Case, StoreError};

pub use crate::actions::{
    assign, close, decide, escalate, extend, note, pause, preview_reply, reopen, reply, restrict,
    resume, Restriction,
};
pub use crate::plan::{Decision, Reply, WorkflowError};
pub use crate::sweep::{tick, TickReport};

type Result<T> = std::result::Result<T, StoreError>;

fn refused(msg: impl Into<String>) -> StoreError {
    StoreError::Refused(msg.into())
}

pub(crate) fn policy_of(cfg: &Config, case: &Case) -> Result<Policy> {
    if case.policy == cfg.policy.name {
        Ok(cfg.policy.clone())
    } else {
        Policy::load(&case.policy).map_err(|e| refused(format!("{}: {e}", case.reference)))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::sweep::chain;

    #[test]
    fn the_escalation_chain_follows_managers_and_stops_at_a_loop() {
        let mut cfg = Config::load(None).unwrap();
        cfg.staff = vec![
            crate::config::Staff {
                name: "ann".into(),
                email: "ann@x".into(),
                manager: Some("bob".into()),
            },
            crate::config::Staff {
                name: "bob".into(),
                email: "bob@x".into(),
                manager: Some("cat".into()),
            },
            crate::config::Staff {
                name: "cat".into(),
                email: "cat@x".into(),
                manager: Some("ann".into()),
            },
        ];
        assert_eq!(chain(&cfg, Some("ann")), vec!["ann", "bob", "cat"]);
        assert!(chain(&cfg, None).is_empty());
    }
}
