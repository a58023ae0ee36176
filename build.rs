//! Two things the build needs from the files around it:
//! - the list of lessons (`examples/*.dl`, in name order) that `dalil serve` embeds, so a new
//!   lesson is served without editing a list by hand;
//! - the build's id: a hash of everything that decides what the embedded fact base becomes once
//!   loaded (the sources, the grammar, the data, the dependencies). The start-up snapshot
//!   (src/snapshot.rs) is valid only for the build that wrote it, so a change to the article,
//!   the rules, the grammar or the code can never be answered from a stale snapshot.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    lessons();
    build_id();
}

fn lessons() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".dl"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("&[\n");
    for n in &names {
        let path = dir.join(n);
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("examples/{n}"),
            path.display().to_string()
        ));
    }
    out.push_str("]\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("lessons.rs");
    std::fs::write(target, out).expect("write the list of lessons");
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn build_id() {
    let mut paths = Vec::new();
    for dir in ["src", "grammar", "data"] {
        println!("cargo:rerun-if-changed={dir}");
        files(Path::new(dir), &mut paths);
    }
    for file in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={file}");
        paths.push(PathBuf::from(file));
    }
    paths.sort();
    let mut h = DefaultHasher::new();
    for p in &paths {
        p.hash(&mut h);
        std::fs::read(p).unwrap_or_default().hash(&mut h);
    }
    println!("cargo:rustc-env=DALIL_BUILD_ID={:016x}", h.finish());
}
