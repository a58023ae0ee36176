//! What the tests that run the real binary share: running it without colour or history, the
//! `.out` layout of golden files, and the list of scripts in a folder.
#![allow(dead_code)] // each test crate uses its own part

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `dalil ARGS` in `dir`, without colour and without a history file.
pub fn dalil_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dalil"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DALIL_HISTORY")
        // Output is fitted to `COLUMNS` when it is set: expected outputs are unfitted.
        .env_remove("COLUMNS")
        .output()
        .expect("run dalil")
}

/// `dalil ARGS` in the repository's root.
pub fn dalil(args: &[&str]) -> Output {
    dalil_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// `dalil [ARGS] run FILE` in the file's folder, laid out as a golden `.out` file: standard
/// output, then standard error and the exit code when there are any.
pub fn run_script(path: &Path, args: &[&str]) -> String {
    let name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["run", name.as_str()]);
    let out = dalil_in(path.parent().expect("parent dir"), &all);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&stderr);
    }
    match out.status.code() {
        Some(0) => {}
        Some(code) => text.push_str(&format!("--- exit {code} ---\n")),
        None => text.push_str("--- killed by a signal ---\n"),
    }
    text
}

/// The `.dl` files of a folder of the repository, sorted.
pub fn scripts(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dl"))
        .collect();
    files.sort();
    files
}
