//! `dalil serve` over HTTP: the API answers like `--format json`, and the safety rules hold
//! (Host header, Origin, body limit, file statements, budgets, sessions per tab).

mod common;

use common::server::{Server, raw_request};
use serde_json::json;
use std::time::{Duration, Instant};

/// The data of every JSON output of an answer, in order.
fn results(answer: &serde_json::Value) -> Vec<serde_json::Value> {
    answer["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["output"].as_array().expect("output").clone())
        .filter(|o| o["type"] == "json")
        .map(|o| o["data"].clone())
        .collect()
}

#[test]
fn query_answers_with_rows_like_format_json() {
    let server = Server::start(&[]);
    let q = r#"visit where partner = "US" after 2025-09-01"#;
    let (status, answer) = server.query(json!({ "text": q }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["ok"], true);
    let cli = common::dalil(&["-c", q, "--format", "json"]);
    let expected: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("json");
    assert_eq!(results(&answer), vec![expected]);
    assert_eq!(answer["steps"][0]["statement"], q);
}

#[test]
fn reports_come_with_span_message_labels_and_help() {
    let server = Server::start(&[]);
    let (status, answer) = server.query(json!({ "text": "visit;\nvist where partner = \"US\"" }));
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], false);
    let d = &answer["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "there is no kind `vist`");
    assert_eq!(d["help"], "did you mean `visit`?");
    assert_eq!(d["span"]["line"], 2);
    assert_eq!(d["span"]["column"], 1);
    assert_eq!(d["span"]["start"], 7);
    assert_eq!(d["span"]["end"], 11);
    assert_eq!(d["labels"][0]["message"], "unknown kind");
    assert!(d["rendered"].as_str().unwrap().contains("<editor>:2:1"));
    // The first statement's rows are still there, and the error is in the second step.
    assert_eq!(results(&answer).len(), 1);
    assert_eq!(answer["steps"][1]["output"][0]["type"], "error");
}

#[test]
fn spans_count_utf16_for_the_editor() {
    let server = Server::start(&[]);
    let (_, answer) =
        server.query(json!({ "text": "visit where partner = \"الجزائر\" and vist = 1" }));
    let d = &answer["diagnostics"][0];
    let start = d["span"]["start"].as_u64().unwrap();
    let utf16 = d["span"]["utf16_start"].as_u64().unwrap();
    // Seven Arabic letters: two bytes each in UTF-8, one code unit each in UTF-16.
    assert_eq!(start - utf16, 7, "{d}");
}

#[test]
fn a_session_keeps_what_the_tab_defined_and_another_tab_does_not_see_it() {
    let server = Server::start(&[]);
    let (_, first) =
        server.query(json!({ "text": "us_visits(d: ?d) :- visit(partner: \"US\", date: ?d)" }));
    assert_eq!(first["ok"], true, "{first}");
    let id = first["session"].as_str().unwrap().to_string();
    let (_, same) = server.query(json!({ "session": id, "text": "us_visits" }));
    assert_eq!(
        results(&same),
        vec![json!([{ "d": "2025-09-14", "status": "stated" }])]
    );
    let (_, other) = server.query(json!({ "text": "us_visits" }));
    assert_ne!(other["session"], first["session"]);
    assert_eq!(
        other["diagnostics"][0]["message"],
        "there is no kind `us_visits`"
    );
}

#[test]
fn svg_formats_answer_with_pictures() {
    let server = Server::start(&[]);
    let (_, answer) = server.query(json!({ "text": "dated_event", "format": "svg-timeline" }));
    let svg = answer["steps"][0]["output"][0]["svg"]
        .as_str()
        .expect("svg");
    assert!(svg.contains("data-date=\"2025-08\" data-precision=\"month\""));
    let (status, bad) = server.query(json!({ "text": "visit", "format": "png" }));
    assert_eq!(status, 400);
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("not an output format")
    );
}

#[test]
fn a_foreign_host_header_is_refused() {
    let server = Server::start(&[]);
    let body = json!({ "text": "visit" }).to_string();
    for host in [
        "evil.example",
        "evil.example:80",
        &format!("attacker.test:{}", server.addr.split(':').nth(1).unwrap()),
    ] {
        let (status, text) = raw_request(
            &server.addr,
            "POST",
            "/query",
            &[("Host", host), ("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(status, 421, "{host}: {text}");
        assert!(text.contains("Host header"), "{text}");
    }
    let (status, _) = raw_request(
        &server.addr,
        "GET",
        "/",
        &[("Host", "rebound.example")],
        b"",
    );
    assert_eq!(status, 421);
    let (status, page) = server.request("GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(page.contains("<title>dalil"));
    let localhost = format!("localhost:{}", server.addr.split(':').nth(1).unwrap());
    let (status, _) = raw_request(&server.addr, "GET", "/", &[("Host", &localhost)], b"");
    assert_eq!(status, 200);
}

#[test]
fn posts_from_another_site_or_not_json_are_refused() {
    let server = Server::start(&[]);
    let body = json!({ "text": "visit" }).to_string();
    let (status, _) = server.request(
        "POST",
        "/query",
        &[
            ("Content-Type", "application/json"),
            ("Origin", "http://evil.example"),
        ],
        &body,
    );
    assert_eq!(status, 403);
    let own = format!("http://{}", server.addr);
    let (status, _) = server.request(
        "POST",
        "/query",
        &[("Content-Type", "application/json"), ("Origin", &own)],
        &body,
    );
    assert_eq!(status, 200);
    let (status, _) = server.request("POST", "/query", &[("Content-Type", "text/plain")], &body);
    assert_eq!(status, 415);
    let (status, _) = server.request("GET", "/catalog", &[("Sec-Fetch-Site", "cross-site")], "");
    assert_eq!(status, 403);
    let (status, _) = server.request("GET", "/catalog", &[("Sec-Fetch-Site", "same-origin")], "");
    assert_eq!(status, 200);
}

#[test]
fn a_body_over_the_limit_is_refused() {
    let server = Server::start(&[]);
    let text = "# ".to_string() + &"x".repeat(300 * 1024);
    let (status, _) = server.request(
        "POST",
        "/query",
        &[("Content-Type", "application/json")],
        &json!({ "text": text }).to_string(),
    );
    assert_eq!(status, 413);
}

#[test]
fn file_statements_are_refused_without_allow_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("x.dl");
    let target = target.to_str().unwrap();
    let server = Server::start(&[]);
    for statement in [
        format!(":save {target}"),
        format!(":load {target}"),
        format!(":import visit {target}"),
    ] {
        let (_, answer) = server.query(json!({ "text": statement }));
        let d = &answer["diagnostics"][0];
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("which this server does not allow"),
            "{statement}: {d}"
        );
        assert!(d["help"].as_str().unwrap().contains("--allow-files"));
    }
    assert!(!dir.path().join("x.dl").exists());
    let allowed = Server::start(&["--allow-files"]);
    let (_, answer) = allowed.query(json!({ "text": format!(":save {target}") }));
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(dir.path().join("x.dl").exists());
}

#[test]
fn a_runaway_query_is_stopped_while_another_tab_is_answered() {
    let server = std::sync::Arc::new(Server::start(&["--timeout", "3"]));
    let runaway = "big(a: ?a, b: ?b, c: ?c, d: ?d, e: ?e) :- entity(id: ?a), entity(id: ?b), \
                   entity(id: ?c), entity(id: ?d), entity(id: ?e); count big";
    let started = Instant::now();
    let slow = {
        let server = server.clone();
        std::thread::spawn(move || {
            let answer = server.query(json!({ "text": runaway }));
            (answer, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let (status, quick) = server.query(json!({ "text": "visit" }));
    let quick_done = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(results(&quick)[0].as_array().unwrap().len(), 2);
    let ((status, answer), slow_done) = slow.join().expect("runaway thread");
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], false);
    let message = answer["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("stopped"), "{message}");
    assert!(
        quick_done < slow_done,
        "the quick query ({quick_done:?}) waited for the runaway one ({slow_done:?})"
    );
    assert!(slow_done < Duration::from_secs(20), "{slow_done:?}");
}

#[test]
fn catalog_and_lessons() {
    let server = Server::start(&[]);
    let (status, text) = server.request("GET", "/catalog", &[], "");
    assert_eq!(status, 200);
    let catalog: serde_json::Value = serde_json::from_str(&text).unwrap();
    let kinds = catalog["kinds"].as_array().unwrap();
    assert!(kinds.iter().any(|k| k["name"] == "visit"));
    let entities = catalog["entities"].as_array().unwrap();
    assert!(
        entities.iter().any(|e| e == "الجزائر"),
        "Arabic names are offered"
    );
    assert!(entities.iter().any(|e| e == "Algeria"));
    let (_, text) = server.request("GET", "/lessons", &[], "");
    let lessons: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(lessons[0]["name"], "examples/01-first-query.dl");
    assert_eq!(
        lessons.as_array().unwrap().len(),
        common::scripts("examples").len(),
        "every lesson of examples/ is served"
    );
    let (status, text) = server.request("GET", "/lessons/0", &[], "");
    assert_eq!(status, 200);
    let lesson: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(lesson["steps"].as_array().unwrap().len() > 1);
    // Columns keep their order (a JSON map would sort them).
    let at = |key: &str| text.find(&format!("\"{key}\": ")).expect(key);
    assert!(
        at("date") < at("partner") && at("partner") < at("delegation"),
        "{text}"
    );
    let (status, _) = server.request("GET", "/lessons/999", &[], "");
    assert_eq!(status, 404);
}

/// The `x` of every `<circle cx=…>` in `svg`, in order.
fn circles(svg: &str) -> Vec<f64> {
    svg.split("<circle cx=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn format_svg_draws_the_two_visits_on_a_time_axis() {
    let out = common::dalil(&["-c", "visit", "--format", "svg"]);
    assert!(out.status.success());
    let svg = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // Balanced groups: every <g …> is closed.
    assert_eq!(
        svg.matches("<g ").count() + svg.matches("<g>").count(),
        svg.matches("</g>").count()
    );
    for date in ["2025-09-14", "2025-09-23"] {
        assert!(
            svg.contains(&format!("data-date=\"{date}\" data-precision=\"day\"")),
            "{date}"
        );
    }
    let timeline_end = svg
        .find("id=\"graph\"")
        .expect("a graph below the timeline");
    let days = circles(&svg[..timeline_end]);
    assert_eq!(days.len(), 2, "{days:?}");
    assert!(
        days[0] < days[1],
        "the earlier visit is further left: {days:?}"
    );
    assert!(svg.contains("class=\"node entity\" data-entity=\"algeria\""));
}

#[test]
fn the_pictures_in_docs_are_what_dalil_draws() {
    for (query, format, file) in [
        ("dated_event", "svg-timeline", "docs/timeline.svg"),
        ("party_to", "svg-graph", "docs/graph.svg"),
    ] {
        let out = common::dalil(&["-c", query, "--format", format]);
        let svg = String::from_utf8(out.stdout).expect("UTF-8");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if std::env::var_os("UPDATE_PICTURES").is_some() {
            std::fs::write(&path, &svg).expect("write the picture");
        }
        let saved = std::fs::read_to_string(&path).expect("the picture");
        assert!(
            saved == svg,
            "{file} is out of date: UPDATE_PICTURES=1 cargo test --test serve rewrites it"
        );
    }
    let timeline = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/timeline.svg"),
    )
    .expect("timeline");
    assert!(timeline.contains("data-date=\"2025-08\" data-precision=\"month\""));
    assert!(
        timeline.contains("class=\"mark year approx\""),
        "2023~ is faded"
    );
    assert!(
        timeline.contains("data-precision=\"interval\""),
        "the bounded meeting"
    );
}
