//! A small JUnit XML writer, in the shape CI tools read: one `<testsuite>` with
//! `tests`, `failures` and `skipped` counts, and one `<testcase>` per check, with a
//! `<failure>` or `<skipped>` child when it did not pass.

use std::fmt::Write as _;

/// One test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) outcome: CaseOutcome,
    /// What the case did, shown as its `<system-out>`.
    pub(crate) output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CaseOutcome {
    Passed,
    /// A one-line message and a longer text.
    Failed {
        message: String,
        text: String,
    },
    Skipped {
        message: String,
    },
}

/// Renders a suite as a JUnit XML document.
pub(crate) fn render(suite: &str, cases: &[Case]) -> String {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Failed { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, CaseOutcome::Skipped { .. }))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{0}\" tests=\"{1}\" failures=\"{2}\" errors=\"0\" skipped=\"{3}\">\n  <testsuite name=\"{0}\" tests=\"{1}\" failures=\"{2}\" errors=\"0\" skipped=\"{3}\">",
        escape(suite),
        cases.len(),
        failures,
        skipped
    );
    for case in cases {
        let head = format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&case.classname),
            escape(&case.name)
        );
        let mut children = match &case.outcome {
            CaseOutcome::Passed => String::new(),
            CaseOutcome::Failed { message, text } => format!(
                "      <failure message=\"{}\">{}</failure>\n",
                escape(message),
                escape(text)
            ),
            CaseOutcome::Skipped { message } => {
                format!("      <skipped message=\"{}\"/>\n", escape(message))
            }
        };
        if let Some(output) = &case.output {
            let _ = writeln!(
                children,
                "      <system-out>{}</system-out>",
                escape(output)
            );
        }
        if children.is_empty() {
            let _ = writeln!(out, "{head}/>");
        } else {
            let _ = writeln!(out, "{head}>\n{children}    </testcase>");
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot
/// carry at all.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let xml = render(
            "s<1>",
            &[
                Case {
                    classname: "c".into(),
                    name: "ok".into(),
                    outcome: CaseOutcome::Passed,
                    output: None,
                },
                Case {
                    classname: "c".into(),
                    name: "bad \"one\"".into(),
                    outcome: CaseOutcome::Failed {
                        message: "a & b".into(),
                        text: "x\u{1}y".into(),
                    },
                    output: Some("did <this>".into()),
                },
                Case {
                    classname: "c".into(),
                    name: "later".into(),
                    outcome: CaseOutcome::Skipped {
                        message: "n/a".into(),
                    },
                    output: None,
                },
            ],
        );
        assert!(
            xml.contains(
                r#"<testsuite name="s&lt;1&gt;" tests="3" failures="1" errors="0" skipped="1">"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"name="bad &quot;one&quot;""#));
        assert!(xml.contains(r#"<failure message="a &amp; b">xy</failure>"#));
        assert!(
            xml.contains("<system-out>did &lt;this&gt;</system-out>"),
            "{xml}"
        );
        assert!(xml.contains(r#"<skipped message="n/a"/>"#));
    }
}
