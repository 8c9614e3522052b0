//! The commands the README, ARCHITECTURE.md and `docs/` name exist: every `just RECIPE` is a
//! recipe in the Justfile, and every `app SUBCOMMAND ... --flag` is a subcommand (with that flag)
//! of the binary's command line. The README stays short and its links lead somewhere.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The README, ARCHITECTURE.md and every page under `docs/`.
fn docs() -> Vec<String> {
    let mut docs = vec!["README.md".to_owned(), "ARCHITECTURE.md".to_owned()];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            docs.push(format!("docs/{name}"));
        }
    }
    docs
}

/// The commands written in backticks in the docs that start with `prefix` (`just ` or `app `).
fn commands(prefix: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for doc in docs() {
        let text = std::fs::read_to_string(repo().join(&doc)).unwrap();
        for (i, span) in text.split('`').enumerate() {
            // Odd pieces are inside backticks.
            if i % 2 == 1
                && let Some(rest) = span.strip_prefix(prefix)
            {
                found.push((doc.clone(), rest.to_owned()));
            }
        }
    }
    found
}

/// The words of a command up to the first placeholder (`N`, `ID`, `<command>`, `[up|down]`).
fn words(command: &str) -> Vec<&str> {
    command
        .split_whitespace()
        .take_while(|w| {
            w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '=')
        })
        .collect()
}

#[test]
fn every_just_recipe_the_docs_name_is_in_the_justfile() {
    let justfile = std::fs::read_to_string(repo().join("Justfile")).unwrap();
    let recipes: Vec<&str> = justfile
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter(|l| !l.contains(":=") && !l.starts_with("set "))
        .filter_map(|l| l.split([' ', ':']).next())
        .collect();
    let named = commands("just ");
    assert!(named.len() > 5, "the docs name just recipes: {named:?}");
    for (doc, command) in named {
        let recipe = words(&command).first().copied().unwrap_or_default();
        assert!(
            recipes.contains(&recipe),
            "{doc} names `just {command}`, but the Justfile has no recipe `{recipe}` ({recipes:?})"
        );
    }
}

#[test]
fn every_app_subcommand_and_flag_the_docs_name_exists() {
    let cli = app::cli::Cli::command();
    let named = commands("app ");
    assert!(named.len() > 5, "the docs name app subcommands: {named:?}");
    for (doc, command) in named {
        let mut current = &cli;
        for word in words(&command) {
            if let Some(flag) = word.strip_prefix("--") {
                let flag = flag.split('=').next().unwrap_or_default();
                assert!(
                    flag == "help" || current.get_arguments().any(|a| a.get_long() == Some(flag)),
                    "{doc} names `app {command}`, but `{}` has no --{flag}",
                    current.get_name()
                );
            } else if current.has_subcommands() {
                current = current.find_subcommand(word).unwrap_or_else(|| {
                    panic!("{doc} names `app {command}`, but there is no subcommand `{word}`")
                });
            }
        }
    }
}

#[test]
fn the_readme_is_short_and_its_local_links_exist() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.len() <= 15 * 1024,
        "README.md is {} bytes",
        readme.len()
    );
    for doc in docs() {
        let text = std::fs::read_to_string(repo().join(&doc)).unwrap();
        let base = repo().join(&doc);
        let folder = base.parent().unwrap();
        for link in text.split("](").skip(1) {
            let target = link.split([')', '#']).next().unwrap_or_default();
            if target.is_empty() || target.contains("://") {
                continue;
            }
            assert!(
                folder.join(target).exists(),
                "{doc} links to {target}, which does not exist"
            );
        }
    }
}
