//! The model's patterns, which are Java regular expressions, in the `regex`
//! crate's syntax.
//!
//! The service matches a whole value against a pattern (Java's
//! `Matcher.matches`), so every pattern is anchored at both ends. Java's `\w`,
//! `\d` and `\s` (and their negations) are ASCII-only, while the `regex` crate's
//! are Unicode: they are spelled out (`\w` is `[0-9A-Za-z_]`, `\s` is
//! `[\t\n\x0B\x0C\r ]`). `\p{..}` keeps its meaning (Unicode general
//! categories in both). A `-` right after a range inside a class (`[0-9-_]`) is a
//! literal in Java and is escaped. One Java construct has no `regex` equivalent
//! and appears in the model: a trailing negative lookbehind for one character,
//! `(?<!\.)$` ("must not end with a dot"), which becomes a separate check. A test
//! compiles every pattern of the model, so a new construct fails the build's
//! tests rather than a request.

use regex::Regex;

/// A compiled model pattern.
#[derive(Debug)]
pub(crate) struct JavaPattern {
    regex: Regex,
    /// From a trailing `(?<!c)$`: the value must not end with `c`.
    not_ending_with: Option<char>,
}

impl JavaPattern {
    /// Translates and compiles a Java pattern.
    pub(crate) fn compile(java: &str) -> Result<JavaPattern, String> {
        let (body, not_ending_with) = split_lookbehind(java);
        let translated = translate(&body)?;
        let regex = Regex::new(&format!("^(?:{translated})$"))
            .map_err(|e| format!("pattern {java} does not compile: {e}"))?;
        Ok(JavaPattern {
            regex,
            not_ending_with,
        })
    }

    /// Whether the whole of `value` matches.
    pub(crate) fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value) && self.not_ending_with.is_none_or(|c| !value.ends_with(c))
    }
}

/// `…(?<!c)$` → (`…$`, Some(c)) for one (possibly escaped) character `c`.
fn split_lookbehind(java: &str) -> (std::borrow::Cow<'_, str>, Option<char>) {
    let Some(start) = java.rfind("(?<!") else {
        return (java.into(), None);
    };
    let rest = &java[start + 4..];
    let inner: Option<char> = rest.strip_suffix(")$").and_then(|c| {
        let c = c.strip_prefix('\\').unwrap_or(c);
        let mut chars = c.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    });
    match inner {
        Some(c) => (format!("{}$", &java[..start]).into(), Some(c)),
        None => (java.into(), None),
    }
}

const WORD: &str = "0-9A-Za-z_";
const DIGIT: &str = "0-9";
const SPACE: &str = r"\t\n\x0B\x0C\r ";

fn translate(java: &str) -> Result<String, String> {
    if java.contains("(?<") || java.contains("(?=") || java.contains("(?!") {
        return Err(format!(
            "pattern {java} uses a lookaround, which is not supported"
        ));
    }
    let mut out = String::with_capacity(java.len() + 16);
    let mut depth = 0usize;
    // Inside a class: whether the last item was a complete range (`a-z`).
    let mut after_range = false;
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    return Err(format!("pattern {java} ends with a lone backslash"));
                };
                let class = match e {
                    'w' => Some((WORD, false)),
                    'W' => Some((WORD, true)),
                    'd' => Some((DIGIT, false)),
                    'D' => Some((DIGIT, true)),
                    's' => Some((SPACE, false)),
                    'S' => Some((SPACE, true)),
                    _ => None,
                };
                match class {
                    Some((set, negated)) if depth > 0 && !negated => out.push_str(set),
                    Some((set, negated)) => {
                        out.push_str(if negated { "[^" } else { "[" });
                        out.push_str(set);
                        out.push(']');
                    }
                    None => {
                        out.push('\\');
                        out.push(e);
                        // `\p{..}` and `\x..` carry on to their end unchanged.
                    }
                }
                after_range = false;
            }
            '[' => {
                depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
                after_range = false;
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(']');
                after_range = false;
            }
            '-' if depth > 0 => {
                let literal = after_range || chars.peek() == Some(&']');
                if literal {
                    out.push_str(r"\-");
                    after_range = false;
                } else {
                    out.push('-');
                    // The range's upper end follows; once it is written the range
                    // is complete.
                    if let Some(next) = chars.next() {
                        if next == '\\' {
                            out.push('\\');
                            if let Some(e) = chars.next() {
                                out.push(e);
                            }
                        } else {
                            out.push(next);
                        }
                    }
                    after_range = true;
                }
            }
            other => {
                out.push(other);
                after_range = false;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(java: &str, value: &str) -> bool {
        JavaPattern::compile(java).unwrap().matches(value)
    }

    #[test]
    fn java_classes_are_ascii() {
        assert!(m(r"[\w-]+_[0-9a-f-]+", "us-east-1_0a-b"));
        assert!(!m(r"[\w-]+_[0-9a-f-]+", "ü-east_0a"));
        assert!(
            m(r"[\S]+", "a\u{a0}b"),
            "Java's \\S is everything but ASCII space"
        );
        assert!(!m(r"[\S]+", "a b"));
        assert!(m(r"^[\w\- ]+$", "a b-c"));
    }

    #[test]
    fn patterns_match_whole_values() {
        assert!(!m(r"[0-9]+", "12a"));
        assert!(m(r"[0-9]+", "12"));
        assert!(m(r"Level[1-4]", "Level3"));
        assert!(!m(r"Level[1-4]", "xLevel3"));
    }

    #[test]
    fn a_dash_after_a_range_is_literal() {
        assert!(m(r"[A-Za-z0-9-_+/=.]+", "a-_+/=.9"));
        assert!(!m(r"[A-Za-z0-9-_+/=.]+", "a:b"));
    }

    #[test]
    fn trailing_lookbehind_becomes_a_check() {
        let p = r"^[0-9A-Za-z\.\-_]*(?<!\.)$";
        assert!(m(p, "a.b"));
        assert!(!m(p, "a.b."));
        assert!(m(p, ""));
        assert!(JavaPattern::compile("(?<=a)b").is_err());
    }

    #[test]
    fn unicode_categories_keep_their_meaning() {
        let p = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+";
        assert!(m(p, "Zoë-42!"));
        assert!(!m(p, "a b"));
    }
}
