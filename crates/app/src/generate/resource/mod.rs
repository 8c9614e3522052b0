//! `app generate resource NAME field:type …`: a table and everything on it, as products has —
//! the migration, the entity, validated queries (keyset list, get, create, update with a version
//! check, delete, an audit row per write, the owner rule), the JSON API, the HTML pages and the
//! tests — registered at the `[generate:...]` markers.
//!
//! Field types: `string`, `text`, `int`, `bigint`, `bool`, `float`, `date`, `datetime`, `uuid`,
//! and `references:OTHER` (a foreign key to the resource `OTHER`, or to `users`); `?` after the
//! type makes a field optional, `:unique` gives it a unique index.

use std::path::Path;

use anyhow::bail;

use super::{Plan, names};

mod db_code;
mod field;
mod pages;
mod test_code;
mod web_code;

pub(crate) use field::{Field, Kind};

/// Tables and URL prefixes the engine uses. What the app has made (a resource, a demo) is found
/// by its files: its module, its templates' folder, the migration that creates its table.
const TAKEN: &[&str] = &[
    "account",
    "api",
    "api_tokens",
    "audit_log",
    "events",
    "health",
    "jobs",
    "login",
    "logout",
    "rate_limits",
    "ready",
    "sessions",
    "signup",
    "static",
    "test",
    "test_notes",
    "uploads",
    "users",
    "ws",
];

/// Names the generated modules import: a resource's type may not be one of them.
const IMPORTED_TYPES: &[&str] = &[
    "Actor",
    "ActiveModel",
    "AppState",
    "Column",
    "Entity",
    "Error",
    "Expr",
    "Extension",
    "FieldErrors",
    "Form",
    "Html",
    "Json",
    "Limits",
    "ListQuery",
    "Model",
    "Page",
    "PageLinks",
    "Path",
    "Position",
    "Query",
    "Read",
    "Reads",
    "Redirect",
    "Relation",
    "Response",
    "Result",
    "Router",
    "Set",
    "Slice",
    "State",
    "StatusCode",
    "Templates",
    "Value",
    "Writer",
];

/// The names a resource goes by.
#[derive(Debug, Clone)]
pub(crate) struct Resource {
    /// `line_items`: the table, the modules, the URLs, the templates' folder.
    pub(crate) name: String,
    /// `line_item`: the entity's module.
    pub(crate) singular: String,
    /// `LineItem`: the row's type.
    pub(crate) ty: String,
    /// `line item` / `line items`, for people.
    pub(crate) label: String,
    pub(crate) labels: String,
    pub(crate) fields: Vec<Field>,
}

impl Resource {
    /// `Line items`.
    pub(crate) fn title(&self) -> String {
        capitalise(&self.labels)
    }

    /// `Line item`.
    pub(crate) fn title_one(&self) -> String {
        capitalise(&self.label)
    }

    /// The first required one-line text field: what names a row on its pages.
    pub(crate) fn title_field(&self) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.kind == Kind::String && !f.optional)
    }

    /// Replaces the placeholders every template shares.
    pub(crate) fn fill(&self, template: &str) -> String {
        let article = if self.label.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        template
            .replace("__a_label__", &format!("{article} {}", self.label))
            .replace(
                "__A_label__",
                &capitalise(&format!("{article} {}", self.label)),
            )
            .replace("__name__", &self.name)
            .replace("__singular__", &self.singular)
            .replace("__Type__", &self.ty)
            .replace("__labels__", &self.labels)
            .replace("__label__", &self.label)
            .replace("__Labels__", &self.title())
            .replace("__Label__", &self.title_one())
    }
}

pub(super) fn plan(root: &Path, name: &str, specs: &[String]) -> anyhow::Result<Plan> {
    let resource = parse(root, name, specs)?;
    let today = chrono::Utc::now().date_naive();
    let mut plan = Plan::default();
    let migration = super::migration::next_module(root, &format!("create_{name}"), today)?;
    plan.file(
        format!("migrations/src/{migration}.rs"),
        db_code::migration(&resource),
    );
    super::migration::register(&mut plan, &migration);
    plan.file(
        format!("crates/db/src/entities/{}.rs", resource.singular),
        db_code::entity(&resource),
    );
    plan.register(
        "crates/db/src/entities/mod.rs",
        "// [generate:entity-mod]",
        format!("pub mod {};", resource.singular),
    );
    plan.file(
        format!("crates/db/src/{name}.rs"),
        db_code::queries(&resource),
    );
    plan.register(
        "crates/db/src/lib.rs",
        "// [generate:resource-mod]",
        format!("pub mod {name};"),
    );
    plan.register(
        "crates/db/src/admin/mod.rs",
        "// [generate:admin]",
        format!("entry::<crate::{name}::Admin>(),"),
    );
    let routes = format!("crates/web/src/routes/{name}");
    plan.file(format!("{routes}/mod.rs"), web_code::module(&resource));
    plan.file(format!("{routes}/api.rs"), web_code::api(&resource));
    plan.file(format!("{routes}/form.rs"), web_code::form(&resource));
    plan.file(format!("{routes}/pages.rs"), web_code::pages(&resource));
    plan.register(
        "crates/web/src/routes/mod.rs",
        "// [generate:route-mod]",
        format!("pub(crate) mod {name};"),
    );
    plan.register(
        "crates/web/src/router.rs",
        "// [generate:router]",
        format!("let with_sessions = with_sessions.merge(routes::{name}::router());"),
    );
    plan.register(
        "crates/web/src/openapi.rs",
        "// [generate:openapi]",
        format!("doc.merge(routes::{name}::openapi());"),
    );
    for (file, text) in pages::templates(&resource) {
        plan.file(format!("templates/{name}/{file}"), text);
    }
    plan.register(
        "templates/base.html",
        "{# [generate:nav] #}",
        format!("<li><a href=\"/{name}\">{}</a></li>", resource.title()),
    );
    plan.file(
        format!("crates/app/tests/it/{name}.rs"),
        test_code::tests(&resource),
    );
    plan.register(
        "crates/app/tests/it/main.rs",
        "// [generate:test-mod]",
        format!("mod {name};"),
    );
    Ok(plan)
}

/// Checks the name and the fields, and works out the other names.
pub(crate) fn parse(root: &Path, name: &str, specs: &[String]) -> anyhow::Result<Resource> {
    names::check("resource", name).map_err(anyhow::Error::msg)?;
    let singular = singular(name);
    let ty = names::camel(&singular);
    if TAKEN.contains(&name) || TAKEN.contains(&singular.as_str()) {
        bail!(
            "`{name}` is taken by the engine (a table or a URL of that name exists): choose another name"
        );
    }
    if names::is_rust_keyword(&singular) {
        bail!("`{name}` names one row `{singular}`, a Rust keyword: choose another name");
    }
    if IMPORTED_TYPES.contains(&ty.as_str()) {
        bail!(
            "`{name}` would name its row type `{ty}`, which the generated code imports from elsewhere: choose another name"
        );
    }
    for taken in [
        format!("crates/db/src/{name}.rs"),
        format!("crates/db/src/{name}"),
        format!("crates/db/src/entities/{singular}.rs"),
        format!("crates/web/src/routes/{name}"),
        format!("crates/web/src/routes/{name}.rs"),
        format!("crates/web/src/{name}"),
        format!("templates/{name}"),
        format!("crates/app/tests/it/{name}.rs"),
    ] {
        if root.join(&taken).exists() {
            bail!("a resource named `{name}` exists already ({taken}): choose another name");
        }
    }
    if super::migration::exists(root, &format!("create_{name}"))? {
        bail!("a migration creates `{name}` already: choose another name");
    }
    if specs.is_empty() {
        bail!(
            "give the fields, e.g. `app generate resource {name} title:string body:text? done:bool`"
        );
    }
    let mut fields: Vec<Field> = Vec::with_capacity(specs.len());
    for spec in specs {
        let field = Field::parse(spec).map_err(anyhow::Error::msg)?;
        if fields.iter().any(|f| f.name == field.name) {
            bail!("the field `{}` is given twice", field.name);
        }
        if let Kind::Ref(other) = &field.kind {
            check_reference(root, name, &field, other)?;
        }
        fields.push(field);
    }
    Ok(Resource {
        name: name.to_owned(),
        label: singular.replace('_', " "),
        labels: name.replace('_', " "),
        singular,
        ty,
        fields,
    })
}

/// A reference points at `users`, at a resource made by this generator (its tests make the rows
/// the new tests refer to), or, if optional, at its own table.
fn check_reference(root: &Path, name: &str, field: &Field, other: &str) -> anyhow::Result<()> {
    if other == name {
        if !field.optional {
            bail!(
                "`{}` refers to its own table, so it must be optional (`{}:references:{other}?`): the first row has nothing to refer to",
                field.name,
                field.name
            );
        }
        return Ok(());
    }
    if other == "users" {
        return Ok(());
    }
    let tests = root.join(format!("crates/app/tests/it/{other}.rs"));
    let generated = std::fs::read_to_string(tests)
        .is_ok_and(|text| text.contains("pub(crate) async fn create_sample"));
    if !generated {
        bail!(
            "`{}` refers to `{other}`, which is neither `users` nor a resource made by `app generate resource`: generate `{other}` first",
            field.name
        );
    }
    Ok(())
}

/// `orders` → `order`, `categories` → `category`, `boxes` → `box`; a name that is not a plural
/// stays as it is.
pub(crate) fn singular(name: &str) -> String {
    let (head, last) = name.rsplit_once('_').map_or(("", name), |(h, l)| (h, l));
    let one = if ["news", "series", "species"].contains(&last) {
        last.to_owned()
    } else if let Some(stem) = last.strip_suffix("ies").filter(|s| s.len() > 1) {
        format!("{stem}y")
    } else if ["sses", "ches", "shes", "xes", "zes"]
        .iter()
        .any(|end| last.ends_with(end))
    {
        last[..last.len() - 2].to_owned()
    } else if last.ends_with("ss") || last.ends_with("us") || last.ends_with("is") {
        last.to_owned()
    } else if let Some(stem) = last.strip_suffix('s').filter(|s| !s.is_empty()) {
        stem.to_owned()
    } else {
        last.to_owned()
    };
    if head.is_empty() {
        one
    } else {
        format!("{head}_{one}")
    }
}

pub(crate) fn capitalise(words: &str) -> String {
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_become_singulars() {
        for (plural, one) in [
            ("orders", "order"),
            ("categories", "category"),
            ("boxes", "box"),
            ("addresses", "address"),
            ("line_items", "line_item"),
            ("news", "news"),
            ("status", "status"),
            ("staff", "staff"),
        ] {
            assert_eq!(singular(plural), one);
        }
    }

    fn specs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_and_fields_are_checked_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("migrations/src")).unwrap();
        let parsed = parse(
            root.path(),
            "orders",
            &specs(&["customer:string", "paid:bool"]),
        );
        let parsed = parsed.unwrap();
        assert_eq!(
            (parsed.ty.as_str(), parsed.title()),
            ("Order", "Orders".into())
        );

        let refused = |name: &str, fields: &[&str]| {
            parse(root.path(), name, &specs(fields))
                .unwrap_err()
                .to_string()
        };
        assert!(refused("users", &["a:string"]).contains("taken"));
        assert!(refused("types", &["a:string"]).contains("Rust keyword"));
        assert!(refused("errors", &["a:string"]).contains("imports"));
        assert!(refused("orders", &[]).contains("give the fields"));
        assert!(refused("orders", &["a:string", "a:int"]).contains("twice"));
        assert!(refused("orders", &["parent_id:references:orders"]).contains("optional"));
        assert!(
            refused("orders", &["shop_id:references:shops"]).contains("generate `shops` first")
        );
        parse(
            root.path(),
            "orders",
            &specs(&["parent_id:references:orders?"]),
        )
        .unwrap();
        parse(
            root.path(),
            "orders",
            &specs(&["owner_id:references:users"]),
        )
        .unwrap();
    }

    #[test]
    fn a_resource_is_written_in_every_layer_and_registered_at_every_marker() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("migrations/src")).unwrap();
        let fields = specs(&["customer:string", "note:text?", "paid:bool"]);

        let plan = plan(root.path(), "orders", &fields).unwrap();

        let files: Vec<String> = plan
            .files
            .iter()
            .map(|(path, _)| path.to_string_lossy().into_owned())
            .collect();
        for expected in [
            "crates/db/src/entities/order.rs",
            "crates/db/src/orders.rs",
            "crates/web/src/routes/orders/pages.rs",
            "templates/orders/edit.html",
            "crates/app/tests/it/orders.rs",
        ] {
            assert!(
                files.iter().any(|f| f == expected),
                "{expected} in {files:?}"
            );
        }
        assert!(
            files[0].ends_with("_000001_create_orders.rs"),
            "{}",
            files[0]
        );
        let markers: Vec<&str> = plan.registrations.iter().map(|r| r.marker).collect();
        for marker in [
            "// [generate:migration]",
            "// [generate:entity-mod]",
            "// [generate:resource-mod]",
            "// [generate:admin]",
            "// [generate:route-mod]",
            "// [generate:router]",
            "// [generate:openapi]",
            "{# [generate:nav] #}",
            "// [generate:test-mod]",
        ] {
            assert!(markers.contains(&marker), "{marker}");
        }
        let queries = &plan.files[2].1;
        assert!(queries.contains("pub struct OrderInput") && queries.contains("an order"));
    }
}
