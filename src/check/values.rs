//! Literals → typed values: dates checked, entity names resolved through their aliases,
//! mismatches explained.

use crate::date::Date;
use crate::diagnostic::Diagnostic;
use crate::store::{Database, Type, Value};
use crate::syntax::ast::{Literal, Value as Lit};

/// Checks a date literal (a 4-digit number counts as a year).
pub fn date_value(lit: &Lit) -> Result<Date, Diagnostic> {
    date_for(lit, "a time filter")
}

/// Checks a date literal for `what` (named in the message when it is not a date at all).
pub fn date_for(lit: &Lit, what: &str) -> Result<Date, Diagnostic> {
    match &lit.lit {
        Literal::Date(text) => Date::parse(text).map_err(|e| {
            let d = Diagnostic::error(e.message, lit.span, "this date").with_help(e.help);
            match e.fix {
                Some(fixed) => d.with_fix(lit.span, fixed),
                None => d,
            }
        }),
        Literal::Number(n) if n.fract() == 0.0 && (1.0..=9999.0).contains(n) => {
            Date::year(*n as i32).ok_or_else(|| Diagnostic::error("not a year", lit.span, "here"))
        }
        _ => Err(mismatch(lit, Type::Date, what)),
    }
}

fn describe(lit: &Literal) -> &'static str {
    match lit {
        Literal::Text(_) => "a text",
        Literal::Number(_) => "a number",
        Literal::Date(_) => "a date",
        Literal::Bool(_) => "true or false",
        Literal::Unknown => "unknown",
        Literal::List(_) => "a list",
        Literal::Name(_) => "a name",
    }
}

/// "field `date` takes dates, but this is a text".
pub fn mismatch(lit: &Lit, expected: Type, what: &str) -> Diagnostic {
    let found = describe(&lit.lit);
    let mut d = Diagnostic::error(
        format!("{what} takes {}, but this is {found}", plural(expected)),
        lit.span,
        format!("{found}, not {} {expected}", article(expected)),
    );
    let help = match (expected, &lit.lit) {
        (Type::Date, Literal::Text(t)) if Date::parse(t).is_ok() => {
            Some(format!("write the date without quotes: {t}"))
        }
        (Type::Date, _) => Some("write a date like 2025-09-01, 2025-09 or 2025".to_string()),
        (Type::Text, Literal::Name(n)) => Some(format!("put text in double quotes: \"{n}\"")),
        (Type::Text, Literal::Number(n)) => Some(format!("put text in double quotes: \"{n}\"")),
        (Type::Entity, _) => Some(
            "name an entity: a bare name like `algeria`, or one of its names in quotes like \"US\""
                .to_string(),
        ),
        (Type::Number, Literal::Text(t)) if t.parse::<f64>().is_ok() => {
            Some(format!("write the number without quotes: {t}"))
        }
        _ => None,
    };
    d = d.with_help_opt(help);
    d
}

/// "dates", "entities (people, organisations, places)": what a field of type `t` holds.
pub(crate) fn plural(t: Type) -> &'static str {
    match t {
        Type::Text => "texts",
        Type::Number => "numbers",
        Type::Date => "dates",
        Type::Bool => "true or false",
        Type::Entity => "entities (people, organisations, places)",
        Type::Ref => "fact ids",
        Type::List => "lists",
    }
}

fn article(t: Type) -> &'static str {
    match t {
        Type::Entity => "an",
        _ => "a",
    }
}

/// Longer texts are not looked up as entity names (none is nearly this long).
const MAX_NAME_BYTES: usize = 4096;

/// Resolves a name or text to an entity, suggesting near names when none matches.
pub fn entity_value(db: &mut Database, lit: &Lit) -> Result<Value, Diagnostic> {
    let name = match &lit.lit {
        Literal::Name(n) | Literal::Text(n) => n,
        _ => return Err(mismatch(lit, Type::Entity, "this field")),
    };
    // No entity has a name this long: a huge literal is not folded and looked up at all.
    let resolved = (name.len() <= MAX_NAME_BYTES)
        .then(|| db.resolve_entity(name))
        .flatten();
    if let Some(sym) = resolved {
        return Ok(Value::Entity(sym));
    }
    let mut d = Diagnostic::error(
        format!("no entity is called {}", crate::diagnostic::quoted(name)),
        lit.span,
        "unknown entity",
    );
    d = match db.entity_suggestion(name) {
        Some(s) => {
            let (spelling, _) = db.nearest_entity(name).expect("a suggestion has a name");
            d.with_help(s).with_fix(lit.span, as_written(lit, spelling))
        }
        None => {
            d.with_help("`:entities` lists the people, organisations and places and their names")
        }
    };
    Err(d)
}

/// Converts a literal to a value of type `ty`; `what` names the field for messages.
pub fn typed_value(
    db: &mut Database,
    lit: &Lit,
    ty: Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    if matches!(lit.lit, Literal::Unknown) {
        return Ok(Value::Null);
    }
    Ok(match (ty, &lit.lit) {
        (Type::Text, Literal::Text(t)) => Value::Text(db.interner.intern(t)),
        (Type::Number, Literal::Number(n)) => Value::Num(*n),
        (Type::Bool, Literal::Bool(b)) => Value::Bool(*b),
        (Type::Date, Literal::Name(word)) if super::relative::is_relative(word) => {
            Value::Date(relative_date(db, lit, word)?)
        }
        (Type::Date, _) => Value::Date(date_for(lit, what)?),
        (Type::Entity, Literal::Name(_) | Literal::Text(_)) => entity_value(db, lit)?,
        (Type::Ref, Literal::Name(n)) => Value::Ref(db.interner.intern(n)),
        (Type::List, Literal::List(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match &item.lit {
                    Literal::Text(t) => out.push(Value::Text(db.interner.intern(t))),
                    _ => return Err(mismatch(item, Type::Text, "each item of the list")),
                }
            }
            Value::List(out.into())
        }
        _ => return Err(mismatch(lit, ty, what)),
    })
}

/// `last_month`, `tuesday`, `two_years_ago`: a date relative to the publication date of the
/// source the fact is cited from (see `check::relative`).
fn relative_date(db: &Database, lit: &Lit, word: &str) -> Result<Date, Diagnostic> {
    let Some(source) = db.current_source.as_deref() else {
        return Err(Diagnostic::error(
            format!("`{word}` is relative, and no source says when it was published"),
            lit.span,
            "relative to what?",
        )
        .with_help(
            "declare the source first in this file: `source name(outlet: \"…\", date: 2025-09-23)`, or write the date",
        ));
    };
    let published = db
        .source_date(source)
        .filter(|d| d.lo == d.hi)
        .and_then(|d| chrono::NaiveDate::from_num_days_from_ce_opt(d.lo));
    let Some(published) = published else {
        return Err(Diagnostic::error(
            format!("source `{source}` has no publication day to count `{word}` from"),
            lit.span,
            "relative date",
        )
        .with_help("give the source a `date` that is a day, e.g. `date: 2025-09-23`"));
    };
    let Some(text) = super::relative::resolve(word, published) else {
        return Err(Diagnostic::error(
            format!("`{word}` cannot be counted back from {published}"),
            lit.span,
            "relative date",
        ));
    };
    Date::parse(&text).map_err(|e| Diagnostic::error(e.message, lit.span, "this date"))
}

/// `name` written as `lit` was: a bare name stays bare when it can, otherwise it is quoted.
fn as_written(lit: &Lit, name: &str) -> String {
    let bare = matches!(lit.lit, Literal::Name(_))
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !crate::syntax::is_keyword(name);
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
