//! Issue 13, item 15: a letter is rendered from the case as it stood when the letter was
//! asked for, dated that day, even when it is rendered later and the case has moved on
//! (a delayed send must not mix dates).

use crate::bin;
use crate::site;

use site::Site;

#[test]
fn a_stage_response_rendered_after_the_case_moved_on_says_what_was_true_when_it_was_sent() {
    // Bath & NES: the stage 1 response is asked for on Tue 3 Nov 2026 (upheld); nothing
    // is rendered or sent yet (the renderer was down, say).
    let s = Site::bath_case_answered("");
    // The resident asks for stage 2 on Wed 4 Nov, accepted on Thu 5 Nov.
    s.run(
        "2026-11-04T09:00:00Z",
        &["escalate", "BNES-2026-00001", "--by", "ann"],
    );
    s.run(
        "2026-11-05T09:00:00Z",
        &[
            "decide",
            "BNES-2026-00001",
            "--decision",
            "accept",
            "--reason",
            "She raises new points.",
            "--by",
            "bob",
        ],
    );
    assert_eq!(
        s.case("2026-11-05T09:00:00Z", "BNES-2026-00001")["case"]["stage"],
        "stage2"
    );
    // Rendered and sent on Friday 6 November.
    s.run("2026-11-06T09:00:00Z", &["send"]);
    let (subject, body, pdf) = s.letter_with("Our response to your complaint: upheld");
    assert!(pdf, "{subject}");
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    // Written as the stage 1 response it was: it offers stage 2 and the window that
    // was open then, 20 working days from Tue 3 Nov (day 0): Tuesday 1 December 2026
    // (seed 002_fccd42a92619dcdc.txt, the stage 2 request window in the preset).
    assert!(flat.contains("This is our Stage 1 response"), "{flat}");
    assert!(
        flat.contains("you can ask for your complaint to go to Stage 2"),
        "{flat}"
    );
    assert!(
        flat.contains("Please tell us by Tuesday 1 December 2026"),
        "{flat}"
    );
    assert!(!flat.contains("This is our final response"), "{flat}");
    // The PDF is dated the day the response was decided, as its dates count from it.
    let letters: serde_json::Value = serde_json::from_str(&s.run(
        "2026-11-06T09:00:00Z",
        &["outbox", "--case", "BNES-2026-00001", "--json"],
    ))
    .unwrap();
    let id = letters
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "stage-response")
        .unwrap()["id"]
        .to_string();
    let file = s.path().join("response.pdf");
    s.run(
        "2026-11-06T09:00:00Z",
        &["outbox", "--pdf", &id, "--out", file.to_str().unwrap()],
    );
    let text = bin::pdf_text(&file);
    assert!(text.contains("Date: Tuesday 3 November 2026"), "{text}");
    assert!(
        text.contains("Please tell us by Tuesday 1 December"),
        "{text}"
    );
}
