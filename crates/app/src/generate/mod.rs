//! `app generate resource NAME field:type… | job NAME | migration NAME`: writes the new files from templates and registers
//! them at the marked registration points (a `// [generate:...]` line: the new line goes just
//! above it), then formats the code. It refuses a name that is taken, a Rust keyword or an SQL
//! reserved word, never overwrites a file, and with `--dry-run` only lists what it would do.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};

mod job;
mod migration;
mod names;
mod resource;

pub use crate::cli::GenerateWhat;

/// What a generator does: new files, and lines added above markers in existing ones.
#[derive(Debug, Default)]
struct Plan {
    files: Vec<(PathBuf, String)>,
    registrations: Vec<Registration>,
}

#[derive(Debug)]
struct Registration {
    file: PathBuf,
    /// The marker line's text (trimmed); the new line goes just above it.
    marker: &'static str,
    line: String,
}

impl Plan {
    fn file(&mut self, path: impl Into<PathBuf>, text: String) {
        self.files.push((path.into(), text));
    }

    fn register(&mut self, file: impl Into<PathBuf>, marker: &'static str, line: String) {
        self.registrations.push(Registration {
            file: file.into(),
            marker,
            line,
        });
    }

    /// Checks everything first (no file exists yet, every marker is there), then writes.
    fn apply(&self, root: &Path, dry_run: bool, out: &mut impl Write) -> anyhow::Result<()> {
        for (path, _) in &self.files {
            if root.join(path).exists() {
                bail!("{} exists already: nothing was written", path.display());
            }
        }
        let mut edited: Vec<(PathBuf, String)> = Vec::new();
        for registration in &self.registrations {
            let text = match edited.iter().position(|(p, _)| *p == registration.file) {
                Some(i) => edited.remove(i).1,
                None => std::fs::read_to_string(root.join(&registration.file))
                    .with_context(|| format!("reading {}", registration.file.display()))?,
            };
            let text = insert_above(&text, registration.marker, &registration.line).with_context(
                || {
                    format!(
                        "{} has no `{}` line to register at",
                        registration.file.display(),
                        registration.marker
                    )
                },
            )?;
            edited.push((registration.file.clone(), text));
        }
        let verb = if dry_run { "would write" } else { "wrote" };
        for (path, text) in &self.files {
            if !dry_run {
                let target = root.join(path);
                if let Some(dir) = target.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&target, text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            writeln!(out, "{verb}  {}", path.display())?;
        }
        let verb = if dry_run { "would edit" } else { "edited" };
        for (path, text) in &edited {
            if !dry_run {
                std::fs::write(root.join(path), text)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            writeln!(out, "{verb} {}", path.display())?;
        }
        Ok(())
    }
}

/// `text` with `line` added above the line whose trimmed text is `marker`, indented as it is.
fn insert_above(text: &str, marker: &str, line: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + line.len() + 8);
    let mut found = false;
    for existing in text.split_inclusive('\n') {
        if !found && existing.trim() == marker {
            let indent: String = existing.chars().take_while(|c| c.is_whitespace()).collect();
            out.push_str(&indent);
            out.push_str(line);
            out.push('\n');
            found = true;
        }
        out.push_str(existing);
    }
    found.then_some(out)
}

/// The workspace's root: the current folder, if it is this project's.
fn workspace_root() -> anyhow::Result<PathBuf> {
    let root = std::env::current_dir()?;
    if !root.join("crates/jobs/src/kinds/mod.rs").exists() || !root.join("migrations").exists() {
        bail!(
            "run `app generate` from the project's root folder (the one with Cargo.toml, crates/ \
             and migrations/)"
        );
    }
    Ok(root)
}

/// Runs the generator `what`; `cargo fmt` formats what it wrote.
pub fn run(what: &GenerateWhat, dry_run: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let root = workspace_root()?;
    let plan = match what {
        GenerateWhat::Resource { name, fields } => resource::plan(&root, name, fields)?,
        GenerateWhat::Job { name } => job::plan(&root, name)?,
        GenerateWhat::Migration { name } => {
            migration::plan(&root, name, chrono::Utc::now().date_naive())?
        }
    };
    plan.apply(&root, dry_run, out)?;
    if !dry_run {
        let formatted = std::process::Command::new("cargo")
            .args(["fmt", "--all"])
            .current_dir(&root)
            .status();
        if !formatted.is_ok_and(|s| s.success()) {
            writeln!(
                out,
                "(cargo fmt did not run: format the new files before committing)"
            )?;
        }
        writeln!(out, "Next: cargo test --workspace")?;
        if let GenerateWhat::Resource { name, .. } = what {
            writeln!(
                out,
                "Then `just dev` (it migrates): the pages are at /{name}, the API at /api/{name}."
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_goes_above_its_marker_with_the_markers_indent() {
        let text = "fn f() {\n    a();\n    // [generate:x]\n}\n";
        let edited = insert_above(text, "// [generate:x]", "b();").unwrap();
        assert_eq!(
            edited,
            "fn f() {\n    a();\n    b();\n    // [generate:x]\n}\n"
        );
        assert_eq!(insert_above(text, "// [generate:y]", "b();"), None);
    }

    #[test]
    fn nothing_is_written_when_a_file_exists_or_a_marker_is_missing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("taken.rs"), "old").unwrap();
        std::fs::write(root.path().join("lib.rs"), "mod a;\n").unwrap();
        let mut taken = Plan::default();
        taken.file("new.rs", "new".into());
        taken.file("taken.rs", "new".into());
        let err = taken
            .apply(root.path(), false, &mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
        assert!(!root.path().join("new.rs").exists());

        let mut unmarked = Plan::default();
        unmarked.file("new.rs", "new".into());
        unmarked.register("lib.rs", "// [generate:mods]", "mod new;".into());
        let err = unmarked
            .apply(root.path(), false, &mut Vec::new())
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("no `// [generate:mods]` line"),
            "{err:#}"
        );
        assert!(!root.path().join("new.rs").exists());
        assert_eq!(
            std::fs::read_to_string(root.path().join("lib.rs")).unwrap(),
            "mod a;\n"
        );
    }

    #[test]
    fn a_dry_run_lists_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("lib.rs"), "// [generate:mods]\n").unwrap();
        let mut plan = Plan::default();
        plan.file("new.rs", "new".into());
        plan.register("lib.rs", "// [generate:mods]", "mod new;".into());
        let mut out = Vec::new();
        plan.apply(root.path(), true, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("would write  new.rs") && out.contains("would edit lib.rs"),
            "{out}"
        );
        assert!(!root.path().join("new.rs").exists());
        let lib = std::fs::read_to_string(root.path().join("lib.rs")).unwrap();
        assert_eq!(lib, "// [generate:mods]\n");
    }
}
