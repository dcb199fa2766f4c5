//! Issue 14, "Cases": full-text search (SQLite FTS5) over the reference, the customer's
//! name, email and postal address, the subject and the messages' text, kept up to date
//! on ingestion and corrections and emptied by erasure; and the received-between filter.
//! Through `redress cases --search`, which the web desk's case list uses too.

use crate::site;

use site::Site;

fn found(s: &Site, now: &str, args: &[&str]) -> Vec<String> {
    let mut a = vec!["cases", "--json"];
    a.extend(args);
    let v: serde_json::Value = serde_json::from_str(&s.run(now, &a)).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["reference"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cases_are_found_by_any_of_their_words_until_they_are_erased() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Ivy Stone <ivy@example.org>",
        "Graffiti on the underpass",
        "I wish to complain: the graffiti by the Widcombe underpass is offensive.",
        "q1@example.org",
    );
    s.mail(
        "2",
        "Tom Reed <tom@example.org>",
        "Missed bins",
        "I wish to complain that my bins were missed on Tuesday.",
        "q2@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    s.run(
        "2026-11-09T09:00:00Z",
        &[
            "new",
            "--name",
            "Mrs Ada Lovelace",
            "--address",
            "12 Acacia Avenue",
            "--address",
            "Keynsham BS31 1AA",
            "--via",
            "letter",
            "--subject",
            "Planning enforcement",
            "--by",
            "ann",
        ],
    );
    let now = "2026-11-10T09:00:00Z";
    let one = "BNES-2026-00001";
    let two = "BNES-2026-00002";
    let three = "BNES-2026-00003";
    // Message text, subject, name, email, postal address, reference (a prefix).
    assert_eq!(found(&s, now, &["--search", "widcombe"]), [one]);
    assert_eq!(found(&s, now, &["--search", "bins"]), [two]);
    assert_eq!(found(&s, now, &["--search", "Lovelace"]), [three]);
    assert_eq!(found(&s, now, &["--search", "tom@example.org"]), [two]);
    assert_eq!(found(&s, now, &["--search", "acac ave"]), [three]);
    assert_eq!(found(&s, now, &["--search", "BNES-2026-0000"]).len(), 3);
    assert_eq!(found(&s, now, &["--search", "bnes-2026-00002"]), [two]);
    // Every word must occur; FTS5 syntax typed by an officer is only words.
    assert!(found(&s, now, &["--search", "graffiti bins"]).is_empty());
    assert!(found(&s, now, &["--search", "\"graffiti\" OR bins"]).is_empty());
    // Received between (London dates), with the other filters.
    assert_eq!(found(&s, now, &["--received-from", "2026-11-03"]), [three]);
    assert_eq!(
        found(
            &s,
            now,
            &["--received-to", "2026-11-02", "--search", "complain"]
        ),
        [one, two]
    );
    // A correction is searchable at once; the old name is not.
    s.run(
        now,
        &[
            "customer",
            "tom@example.org",
            "--name",
            "Thomas Reade",
            "--by",
            "ann",
        ],
    );
    assert_eq!(found(&s, now, &["--search", "reade"]), [two]);
    assert!(found(&s, now, &["--search", "reed"]).is_empty());
    let err = s.fails(now, &["cases", "--search", " -- "]);
    assert!(
        err.contains("--search: Search for words or numbers (letters or digits)"),
        "{err}"
    );

    // Case 2 answered (upheld), then closed and, years later, erased: its words go with it.
    s.respond("2026-11-11T09:00:00Z", two, "upheld", "Collected.");
    s.run(
        "2026-11-12T09:00:00Z",
        &["close", two, "--reason", "resolved", "--by", "ann"],
    );
    let later = "2034-01-10T09:00:00Z";
    let out = s.run(later, &["retention", "--by", "dpo"]);
    assert!(out.contains("erased 1 cases"), "{out}");
    for word in ["bins", "reade", "tom@example.org", "tuesday"] {
        assert!(found(&s, later, &["--search", word]).is_empty(), "{word}");
    }
    // Not only unlisted: the words are gone from the index itself.
    let db = s.db();
    let left = |table: &str, word: &str| -> i64 {
        db.query_row(
            &format!("SELECT count(*) FROM {table} WHERE {table} MATCH ?1"),
            [word],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(left("message_search", "tuesday"), 0);
    assert_eq!(left("message_search", "widcombe"), 1, "case 1 is kept");
    assert_eq!(left("case_search", "reade"), 0);
    // Its reference stays findable (the case row is kept, without personal data).
    assert_eq!(found(&s, later, &["--search", "BNES-2026-00002"]), [two]);
}
