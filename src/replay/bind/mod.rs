//! Bindings: what each pseudonym stands for in this run.
//!
//! Recording replaces identifiers by pseudonyms and secrets by placeholders
//! ([`crate::fixture::sensitive`]). Replay honours that: at a place of a
//! fixture's request ([`slots`]) that holds a pseudonym, the request may hold
//! any value; the first request to do so *binds* the pseudonym to its value,
//! and from then on the pseudonym stands for that value only. A value stands
//! for one pseudonym only, too: a client sending `alice` where the set has
//! two recorded users matches the first one it sends `alice` for, and never
//! the second (that would let one user of this run answer for two of the
//! recording). A placeholder matches any value and binds nothing. A literal
//! value (an authored fixture's `tapedeck-ghost`) must be sent as it is.
//!
//! Among fixtures whose requests are the same but for their places (two users
//! created in one session), one whose bindings fit is chosen: the one whose
//! pseudonyms are the request's values' own (the client sends the values it
//! recorded with), else the first in recording order; the sequence of
//! identical requests within it then goes on as usual. Responses give the
//! bound values back ([`mentions`]).
//!
//! Bindings last until `POST /__tapedeck/reset`. The journal notes, for each
//! request matched by binding, which pseudonyms it bound or used (never the
//! values); `GET /__tapedeck/bindings` lists them.

pub(crate) mod mentions;
pub(crate) mod slots;

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::fixture::sensitive::pseudonym;

pub(crate) use mentions::Mentions;
pub(crate) use slots::{Holds, Place, Slots};

/// One binding: the value, and where it was made.
#[derive(Debug, Clone)]
struct Bound {
    value: Box<str>,
    /// Its place in the order bindings were made.
    order: usize,
    /// The request that made it.
    since: u64,
    /// Where in that request.
    at: Box<str>,
}

#[derive(Debug, Default)]
struct Table {
    by_pseudonym: HashMap<Box<str>, Bound>,
    /// The pseudonym each bound value stands for.
    by_value: HashMap<Box<str>, Box<str>>,
}

/// The bindings of one replay server.
#[derive(Debug, Default)]
pub(crate) struct Bindings {
    table: Mutex<Table>,
}

/// A pseudonym a matched request bound or used, for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Used {
    /// Where in the request (an RFC 6901 pointer).
    pub at: String,
    /// The pseudonym the fixture holds there (never the value it stands for).
    pub pseudonym: String,
    /// Whether this request bound it.
    pub new: bool,
}

/// Why a place cannot take a request's value, without the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conflict {
    /// The pseudonym is bound to another value.
    Taken {
        pseudonym: Box<str>,
        since: u64,
        at: Box<str>,
    },
    /// The value is bound to another pseudonym.
    ValueTaken {
        pseudonym: Box<str>,
        other: Box<str>,
        since: u64,
        at: Box<str>,
    },
    /// A literal place holds something else.
    Literal,
}

impl Conflict {
    /// An explanation for people (near misses), which never holds the value.
    pub(crate) fn explain(&self) -> String {
        match self {
            Conflict::Taken { pseudonym, since, at } => format!(
                "the fixture has the pseudonym {pseudonym} here, which stands for another value in this run ({}); POST /__tapedeck/reset forgets bindings",
                made(*since, at)
            ),
            Conflict::ValueTaken {
                pseudonym,
                other,
                since,
                at,
            } => format!(
                "this value already stands for the pseudonym {other} in this run ({}), so it cannot also stand for {pseudonym}; POST /__tapedeck/reset forgets bindings",
                made(*since, at)
            ),
            Conflict::Literal => "the fixture has an ordinary value here".to_owned(),
        }
    }
}

/// Where a binding was made: `bound by request 3 at /Username`, or earlier in
/// the same request (`since` 0).
fn made(since: u64, at: &str) -> String {
    match since {
        0 => format!("bound earlier in this request, at {at}"),
        n => format!("bound by request {n} at {at}"),
    }
}

/// A binding as `GET /__tapedeck/bindings` lists it: never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Listed {
    pub pseudonym: String,
    /// The request that bound it, and where.
    pub since: u64,
    pub at: String,
    /// The length of the value, in characters.
    pub characters: usize,
}

/// The string at `pointer` in `body`, if there is one.
fn text_at<'v>(body: &'v Value, pointer: &str) -> Option<&'v str> {
    body.pointer(pointer).and_then(Value::as_str)
}

/// A place that fits a request: the place, the request's value there, and
/// whether that makes a new binding.
type Fit<'s> = (&'s Place, Box<str>, bool);

impl Table {
    /// Binds pseudonym `p` to `value`, as request `n` did at `at`.
    fn bind(&mut self, p: &str, value: Box<str>, n: u64, at: &str) {
        self.by_value.insert(value.clone(), p.into());
        let order = self.by_pseudonym.len();
        let bound = Bound {
            value,
            order,
            since: n,
            at: at.into(),
        };
        self.by_pseudonym.insert(p.into(), bound);
    }

    /// Whether `slots` fit `request` as things stand; the bindings it would
    /// add, or the first conflict.
    fn fit<'s>(
        &self,
        slots: &'s Slots,
        request: &Value,
    ) -> Result<Vec<Fit<'s>>, (&'s Place, Conflict)> {
        let mut out: Vec<Fit<'s>> = Vec::new();
        for place in slots.places.iter() {
            let value = text_at(request, &place.pointer);
            match &place.holds {
                Holds::Placeholder => {}
                Holds::Literal(l) => {
                    if value != Some(&**l) {
                        return Err((place, Conflict::Literal));
                    }
                }
                Holds::Pseudonym(p) => {
                    let Some(value) = value else {
                        return Err((place, Conflict::Literal));
                    };
                    // Bound already, here or earlier in this request.
                    let earlier = self
                        .by_pseudonym
                        .get(p)
                        .map(|b| (&*b.value, b.since, &*b.at))
                        .or_else(|| {
                            out.iter()
                                .find(|(q, _, _)| matches!(&q.holds, Holds::Pseudonym(x) if x == p))
                                .map(|(q, v, _)| (&**v, 0, &*q.pointer))
                        });
                    if let Some((bound, since, at)) = earlier {
                        if bound != value {
                            return Err((
                                place,
                                Conflict::Taken {
                                    pseudonym: p.clone(),
                                    since,
                                    at: at.into(),
                                },
                            ));
                        }
                        let new = !self.by_pseudonym.contains_key(p);
                        out.push((place, value.into(), new));
                        continue;
                    }
                    let other = self
                        .by_value
                        .get(value)
                        .map(|q| (q.clone(), self.by_pseudonym.get(q).map_or(0, |b| b.since)))
                        .or_else(|| {
                            out.iter().find(|(_, v, _)| &**v == value).and_then(
                                |(q, _, _)| match &q.holds {
                                    Holds::Pseudonym(x) => Some((x.clone(), 0)),
                                    _ => None,
                                },
                            )
                        });
                    if let Some((other, since)) = other {
                        let at = self
                            .by_pseudonym
                            .get(&other)
                            .map_or_else(|| place.pointer.clone(), |b| b.at.clone());
                        return Err((
                            place,
                            Conflict::ValueTaken {
                                pseudonym: p.clone(),
                                other,
                                since,
                                at,
                            },
                        ));
                    }
                    out.push((place, value.into(), true));
                }
            }
        }
        Ok(out)
    }
}

impl Bindings {
    /// The candidate (slots, in the order to try them) that fits `request`,
    /// with its bindings made (request number `n`), and what the request bound
    /// or used; `None` when none fits. When several fit, the one whose new
    /// bindings are most often the value's own pseudonym (the value recording
    /// would have written: a client sending the values it recorded with gets
    /// the fixtures it recorded) wins, then the first.
    pub(crate) fn choose(
        &self,
        candidates: &[&Slots],
        request: &Value,
        n: u64,
    ) -> Option<(usize, Vec<Used>)> {
        let mut table = self.table.lock().expect("bindings lock");
        let mut fitting = candidates
            .iter()
            .enumerate()
            .filter_map(|(i, slots)| table.fit(slots, request).ok().map(|fits| (i, fits)));
        let first = fitting.next()?;
        let (i, fits) = match fitting.next() {
            None => first,
            Some(second) => {
                let own = |fits: &[Fit<'_>]| {
                    fits.iter()
                        .filter(|(place, value, new)| {
                            *new && matches!(&place.holds, Holds::Pseudonym(p) if **p == pseudonym(value, None))
                        })
                        .count()
                };
                let mut best = first;
                let mut best_own = own(&best.1);
                for other in std::iter::once(second).chain(fitting) {
                    let o = own(&other.1);
                    if o > best_own {
                        (best, best_own) = (other, o);
                    }
                }
                best
            }
        };
        let mut used = Vec::with_capacity(fits.len());
        for (place, value, new) in fits {
            let Holds::Pseudonym(p) = &place.holds else {
                continue;
            };
            if new && !table.by_pseudonym.contains_key(p) {
                table.bind(p, value, n, &place.pointer);
            }
            used.push(Used {
                at: place.pointer.to_string(),
                pseudonym: p.to_string(),
                new,
            });
        }
        Some((i, used))
    }

    /// Why `slots` do not fit `request`, place by place: the pointer and the
    /// conflict, for every place that does not fit on its own.
    pub(crate) fn conflicts(&self, slots: &Slots, request: &Value) -> Vec<(String, Conflict)> {
        let table = self.table.lock().expect("bindings lock");
        let mut out = Vec::new();
        for place in slots.places.iter() {
            let one = Slots {
                places: Box::new([place.clone()]),
            };
            if let Err((_, c)) = table.fit(&one, request) {
                out.push((place.pointer.to_string(), c));
            }
        }
        out
    }

    /// Binds the pseudonyms of a fixture recorded in this run to the values
    /// of the request it was recorded from, where that makes no conflict.
    pub(crate) fn bind_recorded(&self, slots: &Slots, request: &Value, n: u64) {
        let mut table = self.table.lock().expect("bindings lock");
        for place in slots.places.iter() {
            let one = Slots {
                places: Box::new([place.clone()]),
            };
            if let Ok(fits) = table.fit(&one, request) {
                for (place, value, new) in fits {
                    if let (Holds::Pseudonym(p), true) = (&place.holds, new) {
                        table.bind(p, value, n, &place.pointer);
                    }
                }
            }
        }
    }

    /// The value each of `names` is bound to, if any.
    pub(crate) fn values(&self, names: &[Box<str>]) -> Vec<Option<Box<str>>> {
        let table = self.table.lock().expect("bindings lock");
        names
            .iter()
            .map(|n| table.by_pseudonym.get(n).map(|b| b.value.clone()))
            .collect()
    }

    /// Every binding, without its value, in the order they were made.
    pub(crate) fn list(&self) -> Vec<Listed> {
        let table = self.table.lock().expect("bindings lock");
        let mut bound: Vec<(&Box<str>, &Bound)> = table.by_pseudonym.iter().collect();
        bound.sort_by_key(|(_, b)| b.order);
        bound
            .into_iter()
            .map(|(p, b)| Listed {
                pseudonym: p.to_string(),
                since: b.since,
                at: b.at.to_string(),
                characters: b.value.chars().count(),
            })
            .collect()
    }

    /// Forgets every binding.
    pub(crate) fn reset(&self) {
        *self.table.lock().expect("bindings lock") = Table::default();
    }
}

#[cfg(test)]
mod tests;
