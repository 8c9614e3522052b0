//! The HTML templates `app generate resource` writes in `templates/NAME/`.

use super::{Field, Kind, Resource, field};

/// `(file name, text)` for each template.
pub(super) fn templates(r: &Resource) -> Vec<(&'static str, String)> {
    let title = match r.title_field() {
        Some(f) => format!("{{{{ item.{} }}}}", f.name),
        None => format!("{} #{{{{ item.id }}}}", r.title_one()),
    };
    let fill = |template: &str| r.fill(template).replace("__TITLE__", &title);
    vec![
        ("index.html", fill(&index(r))),
        ("show.html", fill(&show(r))),
        ("_form.html", r.fill(&form_fields(r))),
        ("new.html", fill(NEW)),
        ("edit.html", fill(EDIT)),
        ("delete.html", fill(DELETE)),
    ]
}

/// How a page shows `item.NAME`.
fn display(f: &Field, multiline: bool) -> String {
    let value = format!("item.{}", f.name);
    let shown = match &f.kind {
        Kind::Bool if f.optional => {
            return format!(
                "{{% if {value} == true %}}yes{{% elif {value} == false %}}no{{% else %}}—{{% endif %}}"
            );
        }
        Kind::Bool => return format!("{{% if {value} %}}yes{{% else %}}no{{% endif %}}"),
        Kind::Text if multiline => format!(
            "{{{{ {value} | escape | linebreaksbr | safe }}}}{{# safe: allowlisted (escaped first, only the <br> tags are raw) #}}"
        ),
        Kind::DateTime => {
            format!("<time datetime=\"{{{{ {value} }}}}\">{{{{ {value} | exact }}}}</time>")
        }
        Kind::Ref(other) if other != "users" => {
            format!("<a href=\"/{other}/{{{{ {value} }}}}\">{{{{ {value} }}}}</a>")
        }
        _ => format!("{{{{ {value} }}}}"),
    };
    if f.optional {
        let test = match f.kind {
            Kind::Int | Kind::BigInt | Kind::Float | Kind::Ref(_) => "number",
            _ => "string",
        };
        format!("{{% if {value} is {test} %}}{shown}{{% else %}}—{{% endif %}}")
    } else {
        shown
    }
}

fn is_number(f: &Field) -> bool {
    matches!(f.kind, Kind::Int | Kind::BigInt | Kind::Float)
}

fn index(r: &Resource) -> String {
    // Long texts stay on the row's own page.
    let columns: Vec<&Field> = r
        .fields
        .iter()
        .filter(|f| f.kind != Kind::Text)
        .take(6)
        .collect();
    let title = r.title_field().map(|f| f.name.clone());
    let mut heads = String::new();
    let mut cells = String::new();
    for f in columns {
        let class = if is_number(f) { " class=\"num\"" } else { "" };
        heads.push_str(&format!("<th{class}>{}</th>", f.label()));
        let shown = if title.as_deref() == Some(f.name.as_str()) {
            format!(
                "<a href=\"/__name__/{{{{ item.id }}}}\">{}</a>",
                display(f, false)
            )
        } else {
            display(f, false)
        };
        cells.push_str(&format!("\n      <td{class}>{shown}</td>"));
    }
    INDEX
        .replace("__HEADS__", &heads)
        .replace("__CELLS__", &cells)
}

const INDEX: &str = r#"{% extends "base.html" %}
{% block title %}__Labels__{% endblock title %}
{% block content %}
<div class="page-head">
  <h1>__Labels__</h1>
  <div class="actions"><a class="button" href="/__name__/new">New __label__</a></div>
</div>
{% if items | length == 0 and first_page %}
<p class="empty">No __labels__ yet. <a href="/__name__/new">Create the first one</a>.</p>
{% elif items | length == 0 %}
<p class="empty">No more __labels__ here (some may have been deleted since). <a href="{{ links.first }}">Back to the first page</a>.</p>
{% else %}
<div class="table-wrap" tabindex="0" role="region" aria-label="__Labels__">
<table class="list">
  <thead><tr><th class="num"{% if sort == "id" %} aria-sort="ascending"{% else %} aria-sort="descending"{% endif %}><a href="/__name__?sort={% if sort == "id" %}-id{% else %}id{% endif %}">#{% if sort == "id" %} ↑{% else %} ↓{% endif %}</a></th>__HEADS__<th>Updated</th></tr></thead>
  <tbody>
  {% for item in items %}
    <tr>
      <td class="num"><a href="/__name__/{{ item.id }}">{{ item.id }}</a></td>__CELLS__
      <td><time datetime="{{ item.updated_at }}" title="{{ item.updated_at | exact }}">{{ item.updated_at | ago }}</time></td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% endif %}
<nav class="pager" aria-label="Pages">
  {% if links.prev %}<a href="{{ links.prev }}" rel="prev">← Previous</a>{% elif not first_page %}<a href="{{ links.first }}">First page</a>{% else %}<span></span>{% endif %}
  <span></span>
  {% if links.next %}<a href="{{ links.next }}" rel="next">Next →</a>{% else %}<span></span>{% endif %}
</nav>
{% endblock content %}
"#;

fn show(r: &Resource) -> String {
    let details: String = r
        .fields
        .iter()
        .map(|f| format!("  <dt>{}</dt><dd>{}</dd>\n", f.label(), display(f, true)))
        .collect();
    SHOW.replace("__DETAILS__", &details)
}

const SHOW: &str = r#"{% extends "base.html" %}
{% block title %}__TITLE__{% endblock title %}
{% block content %}
<p class="crumbs"><a href="/__name__">__Labels__</a> /</p>
<h1>__TITLE__</h1>
<dl class="details">
__DETAILS__  <dt>Version</dt><dd>{{ item.version }}</dd>
  <dt>Created</dt><dd><time datetime="{{ item.created_at }}" title="{{ item.created_at | exact }}">{{ item.created_at | ago }}</time></dd>
  <dt>Updated</dt><dd><time datetime="{{ item.updated_at }}" title="{{ item.updated_at | exact }}">{{ item.updated_at | ago }}</time></dd>
</dl>
<p class="actions">
  {% if can_change %}
  <a class="button" href="/__name__/{{ item.id }}/edit">Edit</a>
  <a class="button danger" href="/__name__/{{ item.id }}/delete">Delete</a>
  {% elif current_user %}
  <span class="hint">Only its owner or an administrator may change this __label__.</span>
  {% endif %}
  <a href="/api/__name__/{{ item.id }}">As JSON</a>
</p>
{% endblock content %}
"#;

/// One field's input, its label and its error.
fn input(f: &Field) -> String {
    let n = &f.name;
    let aria = format!(
        "{{% if errors.{n} %}} aria-invalid=\"true\" aria-describedby=\"{n}-error\"{{% endif %}}"
    );
    let required = if f.optional { "" } else { " required" };
    let value = format!("value=\"{{{{ form.{n} }}}}\"");
    let (control, hint) = match &f.kind {
        Kind::String => (
            format!(
                "<input id=\"{n}\" name=\"{n}\" type=\"text\" maxlength=\"{}\"{required} {value}{aria}>",
                field::STRING_MAX
            ),
            "",
        ),
        Kind::Text => (
            format!(
                "<textarea id=\"{n}\" name=\"{n}\" rows=\"6\"{required}{aria}>{{{{ form.{n} }}}}</textarea>"
            ),
            "",
        ),
        Kind::Int | Kind::BigInt | Kind::Ref(_) => (
            format!(
                "<input id=\"{n}\" name=\"{n}\" type=\"text\" inputmode=\"numeric\"{required} {value}{aria}>"
            ),
            "",
        ),
        Kind::Float => (
            format!(
                "<input id=\"{n}\" name=\"{n}\" type=\"text\" inputmode=\"decimal\"{required} {value}{aria}>"
            ),
            "",
        ),
        Kind::Date => (
            format!("<input id=\"{n}\" name=\"{n}\" type=\"date\"{required} {value}{aria}>"),
            "",
        ),
        Kind::DateTime => (
            format!(
                "<input id=\"{n}\" name=\"{n}\" type=\"datetime-local\" step=\"1\"{required} {value}{aria}>"
            ),
            "\n  <p class=\"hint\">In UTC.</p>",
        ),
        Kind::Uuid => (
            format!(
                "<input id=\"{n}\" name=\"{n}\" type=\"text\" spellcheck=\"false\" placeholder=\"67e55044-10b1-426f-9247-bb680e5fe0c8\"{required} {value}{aria}>"
            ),
            "",
        ),
        Kind::Bool if f.optional => (
            format!(
                "<select id=\"{n}\" name=\"{n}\"{aria}>\n    <option value=\"\"{{% if form.{n} == \"\" %}} selected{{% endif %}}>—</option>\n    <option value=\"yes\"{{% if form.{n} == \"yes\" %}} selected{{% endif %}}>Yes</option>\n    <option value=\"no\"{{% if form.{n} == \"no\" %}} selected{{% endif %}}>No</option>\n  </select>"
            ),
            "",
        ),
        Kind::Bool => (
            format!(
                "<input id=\"{n}\" name=\"{n}\" type=\"checkbox\" value=\"true\"{{% if form.{n} %}} checked{{% endif %}}{aria}>"
            ),
            "",
        ),
    };
    let optional = if f.optional {
        " <span class=\"hint\">(optional)</span>"
    } else {
        ""
    };
    format!(
        "<div class=\"field{{% if errors.{n} %}} has-error{{% endif %}}\">\n  <label for=\"{n}\">{}{optional}</label>\n  {control}{hint}\n  {{% if errors.{n} %}}<p class=\"error\" id=\"{n}-error\">{{{{ errors.{n} }}}}</p>{{% endif %}}\n</div>\n",
        f.label()
    )
}

fn form_fields(r: &Resource) -> String {
    let mut out = String::from(
        "{# The __label__ fields, shared by new.html and edit.html. Expects `form` and `errors`. #}\n",
    );
    for f in &r.fields {
        out.push_str(&input(f));
    }
    out
}

const NEW: &str = r#"{% extends "base.html" %}
{% block title %}New __label__{% endblock title %}
{% block content %}
<p class="crumbs"><a href="/__name__">__Labels__</a> /</p>
<h1>New __label__</h1>
{% if errors %}<div class="alert" role="alert">Please fix the fields marked below.</div>{% endif %}
<form method="post" action="/__name__" class="form" novalidate>{% include "_csrf.html" %}
  {% include "__name__/_form.html" %}
  <div class="actions">
    <button type="submit" class="button">Create</button>
    <a href="/__name__">Cancel</a>
  </div>
</form>
{% endblock content %}
"#;

const EDIT: &str = r#"{% extends "base.html" %}
{% block title %}Edit __TITLE__{% endblock title %}
{% block content %}
<p class="crumbs"><a href="/__name__">__Labels__</a> / <a href="/__name__/{{ item.id }}">__TITLE__</a> /</p>
<h1>Edit __label__</h1>
{% if conflict %}
<div class="alert" role="alert">
  Someone else saved this __label__ while you were editing it (it is now at version {{ conflict.version }}).
  Your changes are below and were not saved; save again to replace theirs.
</div>
{% elif errors %}
<div class="alert" role="alert">Please fix the fields marked below.</div>
{% endif %}
{% if errors.version %}<p class="error">{{ errors.version }}</p>{% endif %}
<form method="post" action="/__name__/{{ item.id }}/edit" class="form" novalidate>{% include "_csrf.html" %}
  <input type="hidden" name="version" value="{{ form.version }}">
  {% include "__name__/_form.html" %}
  <div class="actions">
    <button type="submit" class="button">Save</button>
    <a href="/__name__/{{ item.id }}">Cancel</a>
  </div>
</form>
{% endblock content %}
"#;

const DELETE: &str = r#"{% extends "base.html" %}
{% block title %}Delete __TITLE__{% endblock title %}
{% block content %}
<p class="crumbs"><a href="/__name__">__Labels__</a> / <a href="/__name__/{{ item.id }}">__TITLE__</a> /</p>
<h1>Delete “__TITLE__”?</h1>
{% if conflict %}
<div class="alert" role="alert">This __label__ changed since you opened this page. Check it before deleting.</div>
{% endif %}
<p>This cannot be undone.</p>
<form method="post" action="/__name__/{{ item.id }}/delete" class="actions">{% include "_csrf.html" %}
  <input type="hidden" name="version" value="{{ item.version }}">
  <button type="submit" class="button danger">Delete</button>
  <a href="/__name__/{{ item.id }}">Cancel</a>
</form>
{% endblock content %}
"#;
