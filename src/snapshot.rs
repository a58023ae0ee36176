//! The start-up snapshot: the embedded article base as it is once parsed, checked and stored,
//! written in a compact binary form the first time `dalil` starts and read back on every later
//! start instead of parsing and checking the text again (a tenth of the time).
//!
//! The snapshot lives in the user's cache directory (`$DALIL_CACHE`, else
//! `$XDG_CACHE_HOME/dalil`, else `~/.cache/dalil`; `DALIL_CACHE=off` turns it off), named after
//! the build: build.rs hashes the sources, the grammar and the data into the build id, so a
//! snapshot is only ever read by the very build that wrote it and a changed article or grammar
//! can never be answered from a stale one. A checksum over its bytes guards against a torn or
//! damaged file; anything unexpected falls back to reading the text, silently.

use crate::check::{CheckedRule, Strata};
use crate::diagnostic::{Sources, Text};
use crate::session::{EMBEDDED, Session};
use crate::store::Database;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The build this binary is (see build.rs).
pub const BUILD_ID: &str = env!("DALIL_BUILD_ID");

/// What a snapshot file begins with, before the checksum and the state.
const MAGIC: &[u8; 8] = b"dalil\x00s1";

/// The parts of a session that loading the embedded base sets.
#[derive(Serialize, Deserialize)]
struct State {
    db: Database,
    sources: Sources,
    rule_texts: Vec<String>,
    rules: Vec<CheckedRule>,
    strata: Strata,
    derived_stale: bool,
    /// The names of the loaded texts (the texts are the embedded ones).
    base: Vec<String>,
}

/// Where this build's snapshot is kept, if anywhere.
pub fn path() -> Option<PathBuf> {
    let dir = match std::env::var_os("DALIL_CACHE") {
        Some(d) if d == "off" || d.is_empty() => return None,
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("XDG_CACHE_HOME") {
            Some(d) if !d.is_empty() => PathBuf::from(d).join("dalil"),
            _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache/dalil"),
        },
    };
    Some(dir.join(format!("article-{BUILD_ID}.bin")))
}

/// A checksum of the bytes, eight at a time (it guards against damage, not against malice).
fn checksum(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    h
}

impl Session {
    /// Loads the embedded article base into this fresh session: from the snapshot when there
    /// is a valid one, else from the text (then writing the snapshot for the next start).
    pub fn load_embedded(&mut self) -> Result<(), String> {
        let fresh = self.base.is_empty() && self.sources.is_empty() && self.rules.is_empty();
        let path = if fresh { path() } else { None };
        if let Some(p) = &path
            && let Some(state) = read(p)
        {
            self.restore(state);
            return Ok(());
        }
        for (name, text) in EMBEDDED {
            self.load(name, text)?;
        }
        if let Some(p) = path {
            // A cache that cannot be written is no error: the next start parses again.
            let _ = write(&p, self);
        }
        Ok(())
    }

    fn restore(&mut self, s: State) {
        // Settings given before the base is loaded (`--approx`, `--trust`) are this session's own.
        let (widening, trust) = (self.db.widening, self.db.trust);
        self.db = s.db;
        self.db.widening = widening;
        self.db.trust = trust;
        self.sources = s.sources;
        self.rule_texts = s.rule_texts;
        self.rules = s.rules;
        self.strata = s.strata;
        // Derived rows in a snapshot come without the log of their fixpoint, so `why` could not
        // find their premises: they are computed again before they are read.
        let derived = self
            .db
            .kinds
            .iter()
            .any(|k| (0..k.relation.len() as u32).any(|i| k.relation.rule_of(i).is_some()));
        self.derived_stale = s.derived_stale || derived;
        self.base = s
            .base
            .into_iter()
            .filter_map(|name| {
                let (_, text) = EMBEDDED.iter().find(|(n, _)| *n == name)?;
                Some((name, Text::Embedded(text)))
            })
            .collect();
    }
}

/// The state in a snapshot file, when the file is whole and this build's.
fn read(path: &PathBuf) -> Option<State> {
    let bytes = std::fs::read(path).ok()?;
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (sum, body) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*sum) != checksum(body) {
        return None;
    }
    let mut state: State = postcard::from_bytes(body).ok()?;
    for k in &mut state.db.kinds {
        k.relation.rebuild_distinct();
    }
    Some(state)
}

/// Writes the session's state as a snapshot: into a temporary file first, renamed over the
/// snapshot's name, so a reader never sees half a file.
fn write(path: &PathBuf, s: &Session) -> Result<(), Box<dyn std::error::Error>> {
    let state = StateRef {
        db: &s.db,
        sources: &s.sources,
        rule_texts: &s.rule_texts,
        rules: &s.rules,
        strata: &s.strata,
        derived_stale: s.derived_stale,
        base: s.base.iter().map(|(name, _)| name.as_str()).collect(),
    };
    let body = postcard::to_stdvec(&state)?;
    let mut bytes = Vec::with_capacity(body.len() + 16);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&checksum(&body).to_le_bytes());
    bytes.extend_from_slice(&body);
    let dir = path.parent().ok_or("no directory")?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, &bytes)?;
    tmp.persist(path)?;
    // Snapshots of other builds are of no use to this one: remove them.
    for e in std::fs::read_dir(dir)?.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("article-") && name.ends_with(".bin") && e.path() != *path {
            let _ = std::fs::remove_file(e.path());
        }
    }
    Ok(())
}

/// How a snapshot stores a source's text: an embedded text as its place in [`EMBEDDED`] (the
/// binary has it already; copying it into the file cost a tenth of the start), any other in
/// full.
pub(crate) mod text {
    use crate::diagnostic::Text;
    use crate::session::EMBEDDED;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::borrow::Cow;

    #[derive(Serialize, Deserialize)]
    enum Stored<'a> {
        Embedded(u8),
        /// Borrowed from the snapshot's bytes when the format allows it (postcard does).
        Own(#[serde(borrow)] Cow<'a, str>),
    }

    pub fn serialize<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
        match EMBEDDED.iter().position(|(_, e)| std::ptr::eq(*e, text)) {
            Some(i) => Stored::Embedded(i as u8),
            None => Stored::Own(Cow::Borrowed(text)),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        match Stored::deserialize(d)? {
            Stored::Embedded(i) => EMBEDDED
                .get(usize::from(i))
                .map(|(_, t)| Text::Embedded(t))
                .ok_or_else(|| serde::de::Error::custom("no such embedded text")),
            Stored::Own(t) => Ok(Text::from(t.into_owned())),
        }
    }
}

/// [`State`] borrowed from a session, for writing (serialises exactly as a `State`).
#[derive(Serialize)]
struct StateRef<'a> {
    db: &'a Database,
    sources: &'a Sources,
    rule_texts: &'a [String],
    rules: &'a [CheckedRule],
    strata: &'a Strata,
    derived_stale: bool,
    base: Vec<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Reply;

    fn answer(s: &mut Session, q: &str) -> String {
        let mut out = String::new();
        s.run("<test>", q, &mut |r| match r {
            Reply::Text(t) | Reply::Error(t) | Reply::Note(t) => out.push_str(&t),
            Reply::Quit => {}
        });
        out
    }

    /// A session restored from a snapshot answers exactly as one that read the text.
    #[test]
    fn a_restored_session_answers_as_the_parsed_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("snap.bin");
        let mut parsed = Session::new();
        for (name, text) in EMBEDDED {
            parsed.load(name, text).expect("article");
        }
        write(&file, &parsed).expect("written");
        let mut restored = Session::new();
        restored.restore(read(&file).expect("read back"));
        for q in [
            "visit where partner = \"US\" after 2025-09-01",
            "count event",
            "why visit limit 2",
            "explain visit where partner = US",
            ":kinds",
            "entity where name = \"Trump\"",
        ] {
            assert_eq!(answer(&mut restored, q), answer(&mut parsed, q), "{q}");
        }
        // Rows added after the restore are kept distinct like any others.
        let kinds = restored.db.kinds.len();
        assert_eq!(kinds, parsed.db.kinds.len());
        for k in 0..kinds {
            let rel = &restored.db.kinds[k].relation;
            for i in 0..rel.len() as u32 {
                assert_eq!(rel.find(&rel.row(i)), Some(i));
            }
        }
    }

    /// The embedded texts are stored as which one they are, not copied into the file; a text
    /// of the session's own is stored whole. Both read back as they were.
    #[test]
    fn embedded_texts_are_stored_by_reference_and_others_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("snap.bin");
        let mut s = Session::new();
        for (name, text) in EMBEDDED {
            s.load(name, text).expect("article");
        }
        let own = String::from("kind note(text: text);\nnote(text: \"kept whole\");\n");
        s.load("own.dl", own.as_str()).expect("own text");
        write(&file, &s).expect("written");
        let size = std::fs::metadata(&file).expect("size").len() as usize;
        assert!(
            size < EMBEDDED[0].1.len(),
            "{size} bytes: the article was copied in"
        );
        let mut restored = Session::new();
        restored.restore(read(&file).expect("read back"));
        for id in 0..EMBEDDED.len() as u32 {
            assert!(std::ptr::eq(
                restored.sources.text(id),
                EMBEDDED[id as usize].1
            ));
        }
        assert_eq!(restored.sources.text(2), own);
        assert_eq!(restored.sources.name(2), "own.dl");
        // The fact files the session started from (the embedded ones) are not copied either.
        for ((name, text), (e_name, e_text)) in restored.base.iter().zip(EMBEDDED) {
            assert_eq!(name, e_name);
            assert!(matches!(text, Text::Embedded(t) if std::ptr::eq(*t, e_text)));
        }
        // A report pointing into an embedded text quotes it after the restore as before.
        let q = "visit where partner = \"US\" after 2025-13-01";
        assert_eq!(answer(&mut restored, q), answer(&mut s, q));
    }

    #[test]
    fn a_damaged_snapshot_is_not_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("snap.bin");
        let mut s = Session::new();
        for (name, text) in EMBEDDED {
            s.load(name, text).expect("article");
        }
        write(&file, &s).expect("written");
        let mut bytes = std::fs::read(&file).expect("bytes");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&file, &bytes).expect("damaged");
        assert!(read(&file).is_none());
        std::fs::write(&file, &bytes[..bytes.len() / 2]).expect("torn");
        assert!(read(&file).is_none());
    }
}
