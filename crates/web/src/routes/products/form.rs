//! The product form as a browser sends it: every field a string, so nothing the user typed is
//! lost, and every problem comes back as a field error beside its input.

use db::{
    FieldErrors,
    products::{NewProduct, PriceCents, ProductName},
};
use serde::{Deserialize, Serialize};

use crate::templates::format_cents;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct ProductForm {
    #[serde(default)]
    pub(super) name: String,
    /// In currency units as people write them: `12`, `12.5`, `12.50`.
    #[serde(default)]
    pub(super) price: String,
    /// Hidden on the edit form: the version the user started editing.
    #[serde(default)]
    pub(super) version: String,
}

impl ProductForm {
    pub(super) fn from_product(p: &db::products::Product) -> Self {
        Self {
            name: p.name.clone(),
            price: format_cents(p.price_cents),
            version: p.version.to_string(),
        }
    }

    /// Validates every field, reporting each problem under the form's own field names.
    pub(super) fn parse(&self) -> Result<NewProduct, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = ProductName::parse(&self.name).map_err(|m| errors.add("name", m));
        let price = parse_price(&self.price)
            .and_then(PriceCents::parse)
            .map_err(|m| errors.add("price", m));
        match (name, price) {
            (Ok(name), Ok(price_cents)) => Ok(NewProduct { name, price_cents }),
            _ => Err(errors),
        }
    }

    pub(super) fn version(&self) -> Result<i32, FieldErrors> {
        self.version.trim().parse().map_err(|_| {
            let mut errors = FieldErrors::new();
            errors.add(
                "version",
                "the form is missing its version; reload the page",
            );
            errors
        })
    }
}

/// `"12.50"` → `1250`. At most two decimals; no thousands separators.
pub(super) fn parse_price(raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("enter a price, like 12.50".into());
    }
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > 2
    {
        return Err(format!("\"{raw}\" is not a price; write it like 12.50"));
    }
    let too_large = || "is too large".to_owned();
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let fraction: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let cents = whole
        .checked_mul(100)
        .and_then(|c| c.checked_add(fraction))
        .ok_or_else(too_large)?;
    Ok(if negative { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::parse_price;

    #[test]
    fn prices_are_read_as_people_write_them() {
        assert_eq!(parse_price("12"), Ok(1200));
        assert_eq!(parse_price(" 12.5 "), Ok(1250));
        assert_eq!(parse_price("12.05"), Ok(1205));
        assert_eq!(parse_price(".99"), Ok(99));
        assert_eq!(parse_price("-1"), Ok(-100));
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        for bad in [
            "",
            "abc",
            "1.234",
            "1,50",
            "1e3",
            ".",
            "--1",
            "99999999999999999999",
        ] {
            assert!(parse_price(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
