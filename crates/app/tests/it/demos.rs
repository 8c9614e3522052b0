//! The demo features can be removed (`just remove-demo`): what `scripts/demos` lists exists, and
//! every demo tag in the project names a listed demo, with its blocks opened and closed in order.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(demo, path)` for every line of the manifest.
fn manifest() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("scripts/demos")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

/// Every text file under `dir`, build output and VCS data aside.
fn text_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                text_files(&path, found);
            }
        } else if std::fs::read_to_string(&path).is_ok() {
            found.push(path);
        }
    }
}

/// The tags on one line: `(demo, None)` for a line tag, `(demo, Some("begin" | "end"))`.
fn tags(line: &str) -> Vec<(String, Option<String>)> {
    let opening = "[demo:";
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find(opening) {
        rest = &rest[start + opening.len()..];
        let Some(end) = rest.find(']') else { break };
        let mut words = rest[..end].split_whitespace();
        let demo = words.next().unwrap_or_default().to_owned();
        found.push((demo, words.next().map(str::to_owned)));
        rest = &rest[end..];
    }
    found
}

#[test]
fn every_path_the_manifest_lists_exists() {
    let demos: BTreeSet<String> = manifest().into_iter().map(|(demo, _)| demo).collect();
    for (demo, path) in manifest() {
        if let Some(base) = path.strip_prefix('@') {
            assert!(
                demos.contains(base),
                "{demo} is built on {base}, not a demo"
            );
            continue;
        }
        assert!(
            repo().join(&path).exists(),
            "scripts/demos lists {path} for {demo}, which does not exist"
        );
    }
}

#[test]
fn every_demo_tag_names_a_listed_demo_and_every_block_is_closed() {
    let demos: BTreeSet<String> = manifest().into_iter().map(|(demo, _)| demo).collect();
    let mut files = Vec::new();
    text_files(&repo(), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut open: Option<String> = None;
        for (number, line) in text.lines().enumerate() {
            let at = format!("{}:{}", file.display(), number + 1);
            for (demo, edge) in tags(line) {
                // The docs write the tag's shape with a placeholder, the script with a variable.
                let is_name = demo.starts_with(|c: char| c.is_ascii_lowercase())
                    && demo
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !is_name {
                    continue;
                }
                assert!(
                    demos.contains(&demo),
                    "{at}: `{demo}` is not in scripts/demos"
                );
                match edge.as_deref() {
                    None => {}
                    Some("begin") => {
                        assert_eq!(open, None, "{at}: a block begins inside another");
                        open = Some(demo);
                    }
                    Some("end") => {
                        assert_eq!(open.take(), Some(demo), "{at}: ends a block not begun");
                    }
                    Some(other) => panic!("{at}: `{other}` is neither begin nor end"),
                }
            }
        }
        assert_eq!(open, None, "{}: a block is never ended", file.display());
    }
}
