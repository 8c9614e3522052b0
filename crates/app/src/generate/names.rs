//! What a generated name may be: snake_case, not a Rust keyword, not an SQL reserved word (it
//! may become a table or a column), not one that is taken.

/// Rust's keywords, strict and reserved (a module or a field cannot be named after them).
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Words SQLite or PostgreSQL reserve (a table or column named so needs quoting everywhere).
const SQL_RESERVED: &[&str] = &[
    "all",
    "alter",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "delete",
    "desc",
    "distinct",
    "do",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "initially",
    "inner",
    "insert",
    "intersect",
    "into",
    "is",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "set",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// Checks `name` as the snake_case name of something generated; the error says what is wrong.
pub(crate) fn check(what: &str, name: &str) -> Result<(), String> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    if !valid {
        return Err(format!(
            "`{name}` is not a {what} name: use snake_case (a-z, 0-9 and single underscores, \
             starting with a letter), e.g. `send_report`"
        ));
    }
    if name.len() > 40 {
        return Err(format!(
            "`{name}` is too long for a {what} name (40 characters at most)"
        ));
    }
    if RUST_KEYWORDS.contains(&name) {
        return Err(format!(
            "`{name}` is a Rust keyword: choose another {what} name"
        ));
    }
    if SQL_RESERVED.contains(&name) {
        return Err(format!(
            "`{name}` is an SQL reserved word: choose another {what} name"
        ));
    }
    Ok(())
}

/// Whether `word` is a Rust keyword (no module or field may have that name).
pub(crate) fn is_rust_keyword(word: &str) -> bool {
    RUST_KEYWORDS.contains(&word)
}

/// `send_report` → `SendReport`.
pub(crate) fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names_pass_and_the_rest_are_refused_with_a_reason() {
        assert_eq!(check("job", "send_report"), Ok(()));
        assert_eq!(check("job", "report2"), Ok(()));
        for bad in [
            "SendReport",
            "send-report",
            "_send",
            "send_",
            "send__report",
            "2send",
            "",
        ] {
            let err = check("job", bad).unwrap_err();
            assert!(err.contains("snake_case"), "{bad}: {err}");
        }
        assert!(check("job", "match").unwrap_err().contains("Rust keyword"));
        assert!(check("job", "order").unwrap_err().contains("SQL reserved"));
        assert!(
            check("job", &"a".repeat(41))
                .unwrap_err()
                .contains("too long")
        );
    }

    #[test]
    fn camel_case_joins_the_words() {
        assert_eq!(camel("send_report"), "SendReport");
        assert_eq!(camel("report2_daily"), "Report2Daily");
    }
}
