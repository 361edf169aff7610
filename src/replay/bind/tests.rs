use serde_json::json;

use super::*;

fn slots(places: &[(&str, Holds)]) -> Slots {
    Slots {
        places: places
            .iter()
            .map(|(p, h)| Place {
                pointer: (*p).into(),
                holds: h.clone(),
            })
            .collect(),
    }
}

fn pseudonym(p: &str) -> Holds {
    Holds::Pseudonym(p.into())
}

#[test]
fn the_first_value_binds_and_later_ones_must_agree() {
    let b = Bindings::default();
    let user_a = slots(&[("/Username", pseudonym("pseudonym_aaaaaaaaaaaa"))]);
    let alice = json!({"Username": "alice"});
    let bob = json!({"Username": "bob"});
    let (i, used) = b.choose(&[&user_a], &alice, 1).unwrap();
    assert_eq!(i, 0);
    assert_eq!(
        used,
        [Used {
            at: "/Username".into(),
            pseudonym: "pseudonym_aaaaaaaaaaaa".into(),
            new: true
        }]
    );
    assert!(!b.choose(&[&user_a], &alice, 2).unwrap().1[0].new);
    assert_eq!(b.choose(&[&user_a], &bob, 3), None);
    let conflicts = b.conflicts(&user_a, &bob);
    assert!(
        matches!(&conflicts[0].1, Conflict::Taken { since: 1, .. }),
        "{conflicts:?}"
    );
    assert!(!conflicts[0].1.explain().contains("bob"));
    b.reset();
    assert!(b.choose(&[&user_a], &bob, 4).is_some(), "reset forgets");
}

#[test]
fn two_recorded_users_each_take_their_own_fixture_in_recording_order() {
    let b = Bindings::default();
    let a = slots(&[("/Username", pseudonym("pseudonym_aaaaaaaaaaaa"))]);
    let c = slots(&[("/Username", pseudonym("pseudonym_cccccccccccc"))]);
    let alice = json!({"Username": "alice"});
    let carol = json!({"Username": "carol"});
    assert_eq!(b.choose(&[&a, &c], &alice, 1).unwrap().0, 0);
    assert_eq!(b.choose(&[&a, &c], &carol, 2).unwrap().0, 1);
    assert_eq!(b.choose(&[&a, &c], &alice, 3).unwrap().0, 0);
    assert_eq!(b.choose(&[&c, &a], &alice, 4).unwrap().0, 1);
    // A third user fits neither: both pseudonyms are taken.
    assert_eq!(b.choose(&[&a, &c], &json!({"Username": "dave"}), 5), None);
    // alice cannot also stand for another pseudonym.
    let e = slots(&[("/Username", pseudonym("pseudonym_eeeeeeeeeeee"))]);
    assert_eq!(b.choose(&[&e], &alice, 6), None);
    let conflicts = b.conflicts(&e, &alice);
    assert!(
        matches!(&conflicts[0].1, Conflict::ValueTaken { other, since: 1, .. } if &**other == "pseudonym_aaaaaaaaaaaa"),
        "{conflicts:?}"
    );
    let listed = b.list();
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0].since, listed[0].characters), (1, 5));
}

#[test]
fn a_value_s_own_pseudonym_wins_over_recording_order() {
    let b = Bindings::default();
    let bob = crate::fixture::sensitive::pseudonym("bob", None);
    let first = slots(&[("/Username", pseudonym("pseudonym_aaaaaaaaaaaa"))]);
    let own = slots(&[("/Username", Holds::Pseudonym(bob.as_str().into()))]);
    assert_eq!(
        b.choose(&[&first, &own], &json!({"Username": "bob"}), 1)
            .unwrap()
            .0,
        1
    );
    assert_eq!(
        b.choose(&[&first, &own], &json!({"Username": "carol"}), 2)
            .unwrap()
            .0,
        0
    );
}

#[test]
fn placeholders_match_anything_and_literals_only_themselves() {
    let b = Bindings::default();
    let s = slots(&[
        ("/Password", Holds::Placeholder),
        ("/Flag", Holds::Literal("true".into())),
        ("/A", pseudonym("pseudonym_aaaaaaaaaaaa")),
        ("/B", pseudonym("pseudonym_aaaaaaaaaaaa")),
    ]);
    let ok = json!({"Password": "x", "Flag": "true", "A": "v", "B": "v"});
    assert!(b.choose(&[&s], &ok, 1).is_some());
    b.reset();
    let flag = json!({"Password": "y", "Flag": "false", "A": "v", "B": "v"});
    assert_eq!(b.choose(&[&s], &flag, 1), None);
    let split = json!({"Password": "y", "Flag": "true", "A": "v", "B": "w"});
    assert_eq!(
        b.choose(&[&s], &split, 1),
        None,
        "one pseudonym, two values in one request"
    );
    let two = slots(&[
        ("/A", pseudonym("pseudonym_aaaaaaaaaaaa")),
        ("/B", pseudonym("pseudonym_bbbbbbbbbbbb")),
    ]);
    assert_eq!(
        b.choose(&[&two], &json!({"A": "v", "B": "v"}), 1),
        None,
        "one value, two pseudonyms"
    );
    assert!(
        b.list().is_empty(),
        "nothing bound by a request that did not fit"
    );
}
