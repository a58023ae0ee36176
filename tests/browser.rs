//! The page of `dalil serve` in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver). Screenshots go to target/browser-artifacts/.
//!
//! Ignored in a plain `cargo test` (it needs Chromium and takes a few seconds); .ci/run
//! installs Chromium and runs it: `cargo test --test browser -- --ignored`.

mod common;

use common::server::Server;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(artifacts().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits until `css` matches an element whose text contains `text`; returns that text.
async fn wait_text(c: &Client, css: &str, text: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(elements) = c.find_all(Locator::Css(css)).await {
            for e in elements {
                if let Ok(t) = e.text().await
                    && t.contains(text)
                {
                    return t;
                }
            }
        }
        if started.elapsed() > Duration::from_secs(15) {
            screenshot(c, "timeout").await;
            panic!("no `{css}` with text {text:?} after 15 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `css` matches something; returns how many.
async fn wait_for(c: &Client, css: &str) -> usize {
    let started = Instant::now();
    loop {
        if let Ok(found) = c.find_all(Locator::Css(css)).await
            && !found.is_empty()
        {
            return found.len();
        }
        if started.elapsed() > Duration::from_secs(15) {
            screenshot(c, "timeout").await;
            panic!("nothing matches `{css}` after 15 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Replaces the editor's text by typing `text`, then runs it with Ctrl-Enter.
async fn type_and_run(c: &Client, text: &str) {
    let editor = c
        .find(Locator::Css("#editor .cm-content"))
        .await
        .expect("editor");
    editor.click().await.expect("focus the editor");
    let (ctrl, null) = (char::from(Key::Control), char::from(Key::Null));
    let (backspace, escape, enter) = (
        char::from(Key::Backspace),
        char::from(Key::Escape),
        char::from(Key::Enter),
    );
    editor
        .send_keys(&format!("{ctrl}a{null}{backspace}"))
        .await
        .expect("clear");
    editor.send_keys(text).await.expect("type");
    // Close the completion list, then run.
    editor
        .send_keys(&format!("{escape}{ctrl}{enter}{null}"))
        .await
        .expect("run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium; run by .ci/run with --ignored"]
async fn the_page_in_chromium() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver"
        );
    }
    let server = Server::start(&[]);
    let driver = Driver::start();
    let profile = tempfile::tempdir().expect("profile folder");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("connect to chromedriver");
    // The scenario runs as a task, so that a failure still closes the browser.
    let (client, url) = (c.clone(), server.url());
    let outcome = tokio::spawn(async move { scenario(&client, &url).await }).await;
    let _ = c.close().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("{e}"),
        }
    }
}

async fn scenario(c: &Client, url: &str) {
    c.goto(url).await.expect("open the page");
    wait_for(c, "#editor .cm-content").await;
    // Everything the page loaded came from the server itself: it works offline.
    let loaded = c
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .expect("resources");
    let loaded: Vec<String> = serde_json::from_value(loaded).expect("a list of addresses");
    assert!(loaded.len() >= 3, "{loaded:?}");
    for address in &loaded {
        assert!(address.starts_with(url), "loaded from elsewhere: {address}");
    }
    screenshot(c, "01-start").await;

    // The design card's query, typed, and its one row.
    type_and_run(c, r#"visit where partner = "US" after 2025-09-01"#).await;
    let row = wait_text(c, "#results table.rows tbody tr", "2025-09-14").await;
    assert!(row.contains("United States"), "{row}");
    assert!(row.contains("Claude Tudor"), "{row}");
    let count = wait_text(c, "#results .count", "row").await;
    assert_eq!(count, "(1 row)");
    let cell = c
        .find(Locator::Css("#results td.rtl, #results td[dir=rtl]"))
        .await;
    assert!(
        cell.is_err(),
        "no Arabic in this row, so no right-to-left cell"
    );
    screenshot(c, "02-row").await;

    // A typo: the report under its span in the editor, and in the results.
    type_and_run(c, r#"vist where partner = "US""#).await;
    wait_for(c, "#editor .cm-lintRange-error").await;
    let report = wait_text(c, "#results .report.error", "there is no kind `vist`").await;
    assert!(report.contains("did you mean `visit`?"), "{report}");
    let marked = c
        .find(Locator::Css("#editor .cm-lintRange-error"))
        .await
        .expect("marked span")
        .text()
        .await
        .expect("text");
    assert_eq!(marked, "vist");
    screenshot(c, "03-typo").await;

    // A why tree, expanded down to a citation.
    type_and_run(c, "courted_by_both").await;
    wait_text(c, "#results table.rows tbody tr", "Algeria").await;
    c.find(Locator::Css("#results .why-button"))
        .await
        .expect("why button")
        .click()
        .await
        .expect("click why");
    wait_for(c, "#results details.why[open] > summary").await;
    // Open premises until a citation shows.
    let started = Instant::now();
    loop {
        let cites = c
            .find_all(Locator::Css("#results li.cite"))
            .await
            .unwrap_or_default();
        let mut shown = None;
        for cite in cites {
            if cite.is_displayed().await.unwrap_or(false) {
                shown = Some(cite.text().await.expect("cite text"));
                break;
            }
        }
        if let Some(text) = shown {
            assert!(text.starts_with('p') && text.contains(".s"), "{text}");
            break;
        }
        let closed = c
            .find(Locator::Css("#results details.why:not([open]) > summary"))
            .await
            .expect("a closed premise");
        closed.click().await.expect("open a premise");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no citation found"
        );
    }
    let weakest = c.find_all(Locator::Css("#results .badge.weakest")).await;
    assert!(
        weakest.is_ok_and(|w| !w.is_empty()),
        "the weakest premise is marked"
    );
    screenshot(c, "04-why").await;

    // The timeline: the 2025-08 ceremony as a month band, the 14 September visit as a day.
    c.find(Locator::Css("[role=tab][data-tab=timeline]"))
        .await
        .expect("timeline tab")
        .click()
        .await
        .expect("open the timeline");
    let input = c
        .find(Locator::Css("#tab-timeline input[name=query]"))
        .await
        .expect("timeline query");
    input.clear().await.expect("clear");
    input
        .send_keys(&format!("dated_event{}", char::from(Key::Enter)))
        .await
        .expect("draw");
    wait_for(c, "#timeline svg .mark[data-date='2025-08']").await;
    let ceremony = c
        .find(Locator::Css("#timeline svg .mark[data-date='2025-08']"))
        .await
        .expect("ceremony");
    assert_eq!(
        ceremony.attr("data-precision").await.unwrap().as_deref(),
        Some("month")
    );
    assert_eq!(
        ceremony.attr("data-id").await.unwrap().as_deref(),
        Some("africom_change_of_command")
    );
    ceremony
        .find(Locator::Css("rect.band"))
        .await
        .expect("a month is drawn as a band");
    let visit = c
        .find(Locator::Css("#timeline svg .mark[data-date='2025-09-14']"))
        .await
        .expect("the visit");
    assert_eq!(
        visit.attr("data-precision").await.unwrap().as_deref(),
        Some("day")
    );
    visit
        .find(Locator::Css("circle"))
        .await
        .expect("a day is drawn as a tick");
    // Wider than a day: the band spans a month of the axis, the tick does not.
    let width = |css: &'static str| async move {
        c.execute(
            &format!("return document.querySelector(\"{css}\").getBBox().width"),
            vec![],
        )
        .await
        .expect("bbox")
        .as_f64()
        .expect("a width")
    };
    let band = width("#timeline .mark[data-date='2025-08'] rect.band").await;
    let tick = width("#timeline .mark[data-date='2025-09-14'] circle").await;
    assert!(band > tick * 1.5, "band {band} vs tick {tick}");
    c.execute(
        "document.querySelector(\"#timeline .mark[data-date='2025-08']\").dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        vec![],
    )
    .await
    .expect("click the ceremony");
    let detail = wait_text(c, "#timeline-detail li.cite", "p5.s2").await;
    assert!(detail.contains("p5.s2"), "{detail}");
    screenshot(c, "05-timeline").await;

    // The graph, and the lessons in large type.
    c.find(Locator::Css("[role=tab][data-tab=graph]"))
        .await
        .expect("graph tab")
        .click()
        .await
        .expect("open the graph");
    let graph_input = c
        .find(Locator::Css("#tab-graph input[name=query]"))
        .await
        .expect("graph query");
    graph_input.clear().await.expect("clear");
    graph_input
        .send_keys(&format!("party_to{}", char::from(Key::Enter)))
        .await
        .expect("draw");
    wait_for(c, "#graph svg .node.entity").await;
    wait_for(c, "#graph-filter input[type=checkbox]").await;
    screenshot(c, "06-graph").await;
    c.find(Locator::Css("[role=tab][data-tab=lessons]"))
        .await
        .expect("lessons tab")
        .click()
        .await
        .expect("open the lessons");
    wait_for(c, "#lesson .step").await;
    for _ in 0..3 {
        c.find(Locator::Css("#lesson-next"))
            .await
            .expect("next")
            .click()
            .await
            .expect("click next");
    }
    wait_for(c, "#lesson .step.current").await;
    screenshot(c, "07-lesson").await;
}
