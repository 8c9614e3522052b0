//! Tera templates behind one render call, reloaded on change in development.
//!
//! Keeping every render behind [`Templates::render`] means a later move to another engine (or to
//! Tera 2) touches this file only. Only files ending in `.html` are loaded, so autoescaping is on
//! for every template.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
    time::SystemTime,
};

use tera::{Tera, Value};

#[derive(Clone)]
pub struct Templates {
    inner: Arc<Inner>,
}

struct Inner {
    tera: RwLock<Tera>,
    dir: PathBuf,
    reload: bool,
    /// Newest modification time seen under `dir` (only tracked when reloading).
    newest: Mutex<Option<SystemTime>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("dir", &self.inner.dir)
            .field("reload", &self.inner.reload)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// Loads every `*.html` under `dir`. With `reload`, each render first checks whether a file
    /// changed and re-reads them all if so.
    pub fn load(dir: &Path, reload: bool) -> Result<Self, tera::Error> {
        if !dir.is_dir() {
            return Err(tera::Error::msg(format!(
                "the templates folder {} does not exist (run from the project root, or set APP_TEMPLATES_DIR)",
                dir.display()
            )));
        }
        let glob = format!("{}/**/*.html", dir.display());
        let mut tera = Tera::new(&glob)?;
        tera.register_filter("cents", cents_filter);
        crate::dates::register(&mut tera);
        Ok(Self {
            inner: Arc::new(Inner {
                tera: RwLock::new(tera),
                dir: dir.to_owned(),
                reload,
                newest: Mutex::new(if reload { newest_mtime(dir) } else { None }),
            }),
        })
    }

    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String, tera::Error> {
        if self.inner.reload {
            self.reload_if_changed()?;
        }
        let tera = self
            .inner
            .tera
            .read()
            .map_err(|_| tera::Error::msg("template lock poisoned"))?;
        tera.render(name, context)
    }

    /// Renders a page for a handler; a template failure becomes a logged 500.
    pub(crate) fn page(
        &self,
        name: &str,
        context: &tera::Context,
    ) -> crate::Result<axum::response::Html<String>> {
        Ok(axum::response::Html(self.render(name, context)?))
    }

    fn reload_if_changed(&self) -> Result<(), tera::Error> {
        let newest = newest_mtime(&self.inner.dir);
        {
            let mut seen = self
                .inner
                .newest
                .lock()
                .map_err(|_| tera::Error::msg("template lock poisoned"))?;
            if *seen >= newest {
                return Ok(());
            }
            *seen = newest;
        }
        tracing::info!(dir = %self.inner.dir.display(), "templates changed, reloading");
        self.inner
            .tera
            .write()
            .map_err(|_| tera::Error::msg("template lock poisoned"))?
            .full_reload()
    }
}

fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            }
            newest = newest.max(meta.modified().ok());
        }
    }
    newest
}

/// `{{ order.total_cents | cents }}` → `12.34`.
fn cents_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let cents = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("the `cents` filter needs an integer"))?;
    Ok(Value::String(format_cents(cents)))
}

pub(crate) fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::{Templates, format_cents};

    fn write(dir: &std::path::Path, body: &str, modified: SystemTime) {
        let path = dir.join("hello.html");
        std::fs::write(&path, body).unwrap();
        // Set the time explicitly: a coarse file-system clock must not hide the edit.
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }

    #[test]
    fn with_reload_an_edited_template_is_served_without_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let start = SystemTime::now();
        write(dir.path(), "version one", start);
        let reloading = Templates::load(dir.path(), true).unwrap();
        let fixed = Templates::load(dir.path(), false).unwrap();
        let context = tera::Context::new();
        assert_eq!(
            reloading.render("hello.html", &context).unwrap(),
            "version one"
        );

        write(dir.path(), "version two", start + Duration::from_secs(5));

        assert_eq!(
            reloading.render("hello.html", &context).unwrap(),
            "version two"
        );
        assert_eq!(fixed.render("hello.html", &context).unwrap(), "version one");
    }

    #[test]
    fn a_missing_templates_folder_is_a_clear_error() {
        let err = Templates::load(std::path::Path::new("/no/such/folder"), false).unwrap_err();
        assert!(err.to_string().contains("APP_TEMPLATES_DIR"), "{err}");
    }

    #[test]
    fn cents_are_shown_with_two_decimals() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(1234), "12.34");
        assert_eq!(format_cents(-250), "-2.50");
    }
}
