//! The `report` mode's memory: what it has already logged, so that each
//! finding is logged once per cookie name and rule, not once per request.

use std::collections::HashSet;
use std::sync::Mutex;

/// The most findings remembered. Names on the way in are the client's to
/// choose: past this many, further findings are not logged at all (one
/// line says so), and the memory stops growing.
pub(crate) const MAX_FINDINGS: usize = 1_000;

/// The (cookie name, rule) pairs already logged, shared by every worker
/// serving one policy.
#[derive(Debug, Default)]
pub(crate) struct Reported(Mutex<HashSet<(String, &'static str)>>);

impl Reported {
    /// Whether the finding `rule` about the cookie `name` is new, to be
    /// logged; it is then remembered.
    pub(crate) fn first_time(&self, name: &str, rule: &'static str) -> bool {
        // A panic elsewhere while the lock was held leaves a set still
        // worth reading: at worst a finding is logged twice.
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.contains(&(name.to_owned(), rule)) {
            return false;
        }
        match seen.len() {
            n if n < MAX_FINDINGS => {
                seen.insert((name.to_owned(), rule));
                true
            }
            n if n == MAX_FINDINGS => {
                // One placeholder entry marks that this line was written.
                seen.insert((String::new(), "full"));
                log::warn!(
                    "cookie policy report: {MAX_FINDINGS} distinct findings logged; further ones are not"
                );
                false
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_finding_is_new_once_and_the_memory_is_bounded() {
        let r = Reported::default();
        assert!(r.first_time("a", "R6"));
        assert!(!r.first_time("a", "R6"));
        assert!(r.first_time("a", "R13"));
        assert!(r.first_time("b", "R6"));
        for i in 3..MAX_FINDINGS {
            assert!(r.first_time(&format!("n{i}"), "R1"));
        }
        assert!(!r.first_time("one more", "R1"));
        assert!(!r.first_time("and another", "R1"));
        assert_eq!(r.0.lock().unwrap().len(), MAX_FINDINGS + 1);
    }
}
