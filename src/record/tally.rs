//! What a recording session did with each exchange — written as a new fixture,
//! the same as a fixture already there, or not recorded and why — for the
//! summary `tapedeck record` prints at shutdown (and its exit code).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Why an exchange was not recorded, by kind: the summary counts each kind
/// and shows its first message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotRecorded {
    /// The request was never sent: it could not be signed.
    Signing,
    /// The upstream could not be reached, timed out, or failed mid-exchange.
    Upstream,
    /// Redaction refused the fixture (a secret would have been written).
    Redaction,
    /// The fixture could not be written.
    Write,
}

impl NotRecorded {
    fn label(self) -> &'static str {
        match self {
            NotRecorded::Signing => "not sent: cannot sign",
            NotRecorded::Upstream => "no answer from the upstream",
            NotRecorded::Redaction => "refused by redaction",
            NotRecorded::Write => "cannot write the fixture",
        }
    }
}

/// The counts so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Exchanges written as a new fixture.
    pub written: u64,
    /// Exchanges whose answer a fixture already records (not written again).
    pub duplicates: u64,
    /// Exchanges not recorded, by kind: how many, and the first message.
    pub failed: BTreeMap<NotRecorded, (u64, String)>,
}

impl Counts {
    /// Exchanges that were not recorded.
    pub fn not_recorded(&self) -> u64 {
        self.failed.values().map(|(n, _)| n).sum()
    }

    /// `12 exchanges: 10 recorded (8 new fixtures, 2 the same as a fixture
    /// already there), 2 not recorded:` and a line per kind of failure.
    pub fn summary(&self) -> String {
        let recorded = self.written + self.duplicates;
        let total = recorded + self.not_recorded();
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut out = format!(
            "{}: {recorded} recorded ({}, {} the same as a fixture already there), {} not recorded",
            plural(total, "exchange", "exchanges"),
            plural(self.written, "new fixture", "new fixtures"),
            self.duplicates,
            self.not_recorded()
        );
        for (kind, (n, first)) in &self.failed {
            let _ = write!(out, "\n  {n} × {}: {first}", kind.label());
            if *n > 1 {
                out.push_str(" (the first of them)");
            }
        }
        out
    }
}

/// The tally of one recorder, shared by every connection.
#[derive(Debug, Default)]
pub struct Tally {
    counts: Mutex<Counts>,
}

impl Tally {
    pub fn written(&self) {
        self.counts.lock().expect("tally lock").written += 1;
    }

    pub fn duplicate(&self) {
        self.counts.lock().expect("tally lock").duplicates += 1;
    }

    pub fn not_recorded(&self, kind: NotRecorded, message: &str) {
        let mut counts = self.counts.lock().expect("tally lock");
        let (n, _) = counts
            .failed
            .entry(kind)
            .or_insert_with(|| (0, message.to_owned()));
        *n += 1;
    }

    pub fn counts(&self) -> Counts {
        self.counts.lock().expect("tally lock").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_and_keeps_its_first_message() {
        let t = Tally::default();
        t.written();
        t.duplicate();
        t.not_recorded(NotRecorded::Write, "out/a.json: Permission denied");
        t.not_recorded(NotRecorded::Write, "out/b.json: Permission denied");
        assert_eq!(t.counts().not_recorded(), 2);
        assert_eq!(
            t.counts().summary(),
            "4 exchanges: 2 recorded (1 new fixture, 1 the same as a fixture already there), 2 not recorded\n  2 × cannot write the fixture: out/a.json: Permission denied (the first of them)"
        );
    }
}
