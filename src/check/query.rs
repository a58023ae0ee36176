//! Queries: the kind and every path resolved, every literal typed against the field it is
//! compared with, all mistakes of one query reported together.

use super::declare::unknown_kind;
use super::ir::{CheckedQuery, CitePlace, Column, FieldRef, Pred};
use super::values::{date_value, mismatch, plural, typed_value};
use crate::date::Date;
use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::store::{Database, ENTITY, KindId, Type, Value, entity_cols};
use crate::syntax::ast::{CmpOp, Condition, Literal, Path, Query, Test, TimeFilter};

/// The fields every kind has besides its schema.
pub const VIRTUAL_FIELDS: [&str; 2] = ["cite", "status"];

/// The report for a field named `status` or `cite`, which every row already has.
pub fn provenance_name(name: &str, span: Span) -> Option<Diagnostic> {
    let what = match name {
        "status" => {
            "its status (stated, inferred or background; a derived row's comes from its premises)"
        }
        "cite" => "its citations (a derived row's are those of its premises)",
        _ => return None,
    };
    Some(
        Diagnostic::error(
            format!("`{name}` cannot be a field: every row has {what}"),
            span,
            "reserved field name",
        )
        .with_help("read it like a field (`status: ?s`, `where status = \"stated\"`), or give this field another name"),
    )
}

/// Checks a query against the database's schema.
pub fn check_query(db: &mut Database, q: &Query) -> Result<CheckedQuery, Diagnostics> {
    let Some(kind) = db.kind_id(&q.kind.text) else {
        return Err(vec![unknown_kind(db, &q.kind)]);
    };
    let mut errors = Vec::new();
    // `expr as name` columns, checked first (they may intern the texts they can produce).
    let mut computed = Vec::new();
    for (at, term, name) in &q.computed {
        match super::query_expr::computed_column(db, kind, term, &name.text) {
            Ok(f) => computed.push((*at, f)),
            Err(d) => errors.push(d),
        }
    }
    let resolve_all = |paths: &[Path], errors: &mut Diagnostics| -> Vec<FieldRef> {
        paths
            .iter()
            .filter_map(|p| resolve_path(db, kind, p).map_err(|d| errors.push(d)).ok())
            .collect()
    };
    let mut columns = if q.projection.is_empty() && computed.is_empty() {
        default_columns(db, kind)
    } else {
        resolve_all(&q.projection, &mut errors)
    };
    for (at, f) in &computed {
        columns.insert((*at).min(columns.len()), f.clone());
    }
    let group_by = resolve_all(&q.group_by, &mut errors);
    let order = if q.count {
        count_order(q, &group_by, &mut errors)
    } else {
        // A key may name a computed column.
        q.order_by
            .iter()
            .filter_map(|k| {
                let field = match computed.iter().find(|(_, f)| f.name == k.path.text()) {
                    Some((_, f)) => f.clone(),
                    None => resolve_path(db, kind, &k.path)
                        .map_err(|d| errors.push(d))
                        .ok()?,
                };
                Some((field, k.descending))
            })
            .collect()
    };
    if !q.group_by.is_empty() && !q.count {
        errors.push(
            Diagnostic::error(
                "`by` groups rows for `count`",
                q.group_by[0].span,
                "grouping",
            )
            .with_help(format!("write `count {} by …`", q.kind.text)),
        );
    }
    let mut preds = Vec::new();
    if let Some(c) = &q.condition {
        match condition(db, kind, c) {
            Ok(p) => preds.push(p),
            Err(mut e) => errors.append(&mut e),
        }
    }
    for tf in &q.time_filters {
        match time_filter(db, kind, tf) {
            Ok(p) => preds.push(p),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        // In the order they appear in the text, whichever clause found them.
        errors.sort_by_key(|d| d.span.map(|s| s.start));
        return Err(errors);
    }
    let pred = match preds.len() {
        0 => None,
        1 => preds.pop(),
        _ => Some(Pred::And(preds)),
    };
    Ok(CheckedQuery {
        kind,
        mode: q.mode,
        count: q.count,
        columns,
        group_by,
        pred,
        order,
        limit: q.limit.map(|(n, _)| n),
    })
}

/// A count's result is ordered by its own columns: the groups, or `count`.
fn count_order(q: &Query, groups: &[FieldRef], errors: &mut Diagnostics) -> Vec<(FieldRef, bool)> {
    let mut order = Vec::new();
    for key in &q.order_by {
        let name = key.path.text();
        if let Some(g) = groups.iter().find(|g| g.name == name) {
            order.push((g.clone(), key.descending));
        } else if name == "count" {
            let count = FieldRef {
                column: Column::Field(0),
                derefs: vec![],
                ty: Type::Number,
                name,
                computed: None,
            };
            order.push((count, key.descending));
        } else {
            let mut choices: Vec<String> = groups.iter().map(|g| format!("`{}`", g.name)).collect();
            choices.push("`count`".into());
            errors.push(
                Diagnostic::error(
                    format!("a count can only be ordered by its own columns, not `{name}`"),
                    key.path.span,
                    "not a column of the count",
                )
                .with_help(format!("order by {}", choices.join(" or "))),
            );
        }
    }
    order
}

/// `id` (when any row has one), every declared field, and the citations (of a written fact)
/// or the status (of a derived row).
fn default_columns(db: &Database, kind: KindId) -> Vec<FieldRef> {
    let k = db.kind(kind);
    let has_ids = k.relation.any_known(0);
    let mut cols: Vec<FieldRef> = k
        .fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i > 0 || has_ids)
        .map(|(i, f)| FieldRef {
            column: Column::Field(i),
            derefs: vec![],
            ty: f.ty,
            name: f.name.clone(),
            computed: None,
        })
        .collect();
    if k.is_derived() {
        cols.push(FieldRef {
            column: Column::Status,
            derefs: vec![],
            ty: Type::Text,
            name: "status".into(),
            computed: None,
        });
    } else {
        cols.push(FieldRef {
            column: Column::Cite,
            derefs: vec![],
            ty: Type::List,
            name: "cite".into(),
            computed: None,
        });
    }
    cols
}

/// Resolves `a.b.c`: `a` a field of `kind`, the rest fields of the entities it leads to.
pub fn resolve_path(db: &Database, kind: KindId, path: &Path) -> Result<FieldRef, Diagnostic> {
    let k = db.kind(kind);
    let first = &path.segments[0];
    let (column, mut ty) = match k.column(&first.text) {
        Some(c) => (Column::Field(c), k.fields[c].ty),
        None => match first.text.as_str() {
            "cite" => (Column::Cite, Type::List),
            "status" => (Column::Status, Type::Text),
            _ => {
                let names = k.field_names().chain(VIRTUAL_FIELDS);
                let d = Diagnostic::error(
                    format!("kind `{}` has no field `{}`", k.name, first.text),
                    first.span,
                    "unknown field",
                );
                return Err(if first.text.is_ascii() {
                    d.with_suggestion(first.span, &first.text, names, "fields")
                } else {
                    foreign_field(d, &k.name, names)
                });
            }
        },
    };
    let entity = db.kind(db.kind_id(ENTITY).expect("built-in"));
    let mut derefs = Vec::new();
    let mut prev = first;
    for seg in &path.segments[1..] {
        if ty != Type::Entity {
            return Err(Diagnostic::error(
                format!("`{}` is {} {ty}, it has no fields", prev.text, if ty == Type::Entity { "an" } else { "a" }),
                seg.span,
                "cannot follow this",
            )
            .with_help("only fields holding an entity (a person, organisation, place) have fields of their own"));
        }
        let Some(c) = entity.column(&seg.text) else {
            return Err(Diagnostic::error(
                format!("an entity has no field `{}`", seg.text),
                seg.span,
                "unknown field",
            )
            .with_suggestion(
                seg.span,
                &seg.text,
                entity.field_names(),
                "entity fields",
            ));
        };
        derefs.push(c);
        ty = entity.fields[c].ty;
        prev = seg;
    }
    Ok(FieldRef {
        column,
        derefs,
        ty,
        name: path.text(),
        computed: None,
    })
}

fn condition(db: &mut Database, kind: KindId, c: &Condition) -> Result<Pred, Diagnostics> {
    let all = |db: &mut Database, parts: &[Condition]| -> Result<Vec<Pred>, Diagnostics> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for p in parts {
            match condition(db, kind, p) {
                Ok(p) => out.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    };
    match c {
        Condition::Computed(left, op, right, _) => {
            let field = super::query_expr::computed_test(db, kind, left, *op, right)
                .map_err(|d| vec![d])?;
            Ok(Pred::Compare(field, CmpOp::Eq, Value::Bool(true)))
        }
        Condition::Or(parts) => Ok(Pred::Or(all(db, parts)?)),
        Condition::And(parts) => Ok(Pred::And(all(db, parts)?)),
        Condition::Not(inner, _) => Ok(Pred::Not(Box::new(condition(db, kind, inner)?))),
        Condition::Test(path, test, _) => {
            let field = resolve_path(db, kind, path).map_err(|d| vec![d])?;
            if field.column == Column::Cite
                && field.derefs.is_empty()
                && let Some(p) = cite_pred(test)
            {
                return p.map_err(|d| vec![d]);
            }
            // `name = "Said Chanegriha"` asks for the entity that answers to that name.
            let on_entity = db.kind(kind).name == ENTITY;
            let field = name_field_entity(field, test, on_entity);
            test_pred(db, field, test).map_err(|d| vec![d])
        }
    }
}

fn test_pred(db: &mut Database, field: FieldRef, test: &Test) -> Result<Pred, Diagnostic> {
    let what = format!("`{}`", field.name);
    match test {
        Test::IsUnknown { negated } => {
            let p = Pred::IsUnknown(field);
            Ok(if *negated { Pred::Not(Box::new(p)) } else { p })
        }
        Test::Compare(op, lit) => {
            if matches!(lit.lit, Literal::Unknown) {
                return Err(Diagnostic::error(
                    "nothing is equal to `unknown`",
                    lit.span,
                    "unknown",
                )
                .with_help(format!(
                    "write `{} is unknown` (or `is not unknown`)",
                    field.name
                )));
            }
            let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
            if ordered && matches!(field.ty, Type::Entity | Type::Ref | Type::List | Type::Bool) {
                return Err(Diagnostic::error(
                    format!("{what} holds {}, which have no order", plural(field.ty)),
                    lit.span,
                    format!("`{}` needs an order", op.symbol()),
                )
                .with_help("compare it with `=`, `!=` or `in (…)`"));
            }
            let value = literal_for(db, &field, lit, &what)?;
            Ok(Pred::Compare(field, *op, value))
        }
        Test::In { values, negated } => {
            let mut vals = Vec::new();
            for lit in values {
                vals.push(literal_for(db, &field, lit, &what)?);
            }
            let p = Pred::In(field, vals);
            Ok(if *negated { Pred::Not(Box::new(p)) } else { p })
        }
        Test::Contains(lit) => {
            let Literal::Text(t) = &lit.lit else {
                return Err(mismatch(lit, Type::Text, "`contains`"));
            };
            if !matches!(field.ty, Type::Text | Type::List | Type::Entity) {
                return Err(Diagnostic::error(
                    format!("{what} is a {}, `contains` looks inside texts", field.ty),
                    lit.span,
                    "not a text field",
                )
                .with_help("use `=` or a comparison instead"));
            }
            Ok(Pred::Contains(field, t.to_lowercase()))
        }
        Test::Time(tf) => time_pred(field, tf),
    }
}

/// An entity's `name` or `name_ar` compared for equality (`=`, `!=`, `in`) with texts is a
/// comparison of the entity itself, so every name it answers to matches, folded (see
/// `store::fold`): the path to the entity; any other field or test is left as it is.
fn name_field_entity(field: FieldRef, test: &Test, on_entity: bool) -> FieldRef {
    let by_name = match test {
        Test::Compare(CmpOp::Eq | CmpOp::Ne, lit) => matches!(lit.lit, Literal::Text(_)),
        Test::In { values, .. } => values.iter().all(|v| matches!(v.lit, Literal::Text(_))),
        _ => false,
    };
    let is_name = |c: usize| c == entity_cols::NAME || c == entity_cols::NAME_AR;
    if !by_name {
        return field;
    }
    let mut entity = field.clone();
    entity.ty = Type::Entity;
    match (field.derefs.last(), field.column) {
        (Some(&c), _) if is_name(c) => {
            entity.derefs.pop();
        }
        (None, Column::Field(c)) if on_entity && is_name(c) => {
            entity.column = Column::Field(entity_cols::ID);
        }
        _ => return field,
    }
    entity
}

/// `cite = p5`, `cite != "p5.s1"`, `cite in (p5, p6)`, `cite = "araby:p2"`: which paragraphs
/// or sentences a row cites. `None` for other tests of `cite` (`contains`, `is unknown`).
fn cite_pred(test: &Test) -> Option<Result<Pred, Diagnostic>> {
    let (lits, negated) = match test {
        Test::Compare(CmpOp::Eq, lit) => (std::slice::from_ref(lit), false),
        Test::Compare(CmpOp::Ne, lit) => (std::slice::from_ref(lit), true),
        Test::In { values, negated } => (values.as_slice(), *negated),
        _ => return None,
    };
    let mut places = Vec::new();
    for lit in lits {
        let place = match &lit.lit {
            Literal::Name(t) | Literal::Text(t) => CitePlace::parse(t),
            _ => None,
        };
        match place {
            Some(p) => places.push(p),
            None => {
                return Some(Err(Diagnostic::error(
                    "`cite` is compared with a paragraph or a sentence",
                    lit.span,
                    "not a citation",
                )
                .with_help(
                    "write p5 (a paragraph), \"p5.s1\" (a sentence) or \"araby:p5\" (of a source)",
                )));
            }
        }
    }
    let p = Pred::Cites(places);
    Some(Ok(if negated { Pred::Not(Box::new(p)) } else { p }))
}

/// A literal typed like the field it is compared with.
fn literal_for(
    db: &mut Database,
    field: &FieldRef,
    lit: &crate::syntax::ast::Value,
    what: &str,
) -> Result<Value, Diagnostic> {
    match (field.ty, &lit.lit) {
        // An alias list compares with one text at a time.
        (Type::List, Literal::Text(t)) => Ok(Value::Text(db.interner.intern(t))),
        (Type::Ref, Literal::Name(n) | Literal::Text(n)) => Ok(Value::Ref(db.interner.intern(n))),
        _ => typed_value(db, lit, field.ty, what),
    }
}

fn time_pred(field: FieldRef, tf: &TimeFilter) -> Result<Pred, Diagnostic> {
    if field.ty != Type::Date {
        return Err(Diagnostic::error(
            format!(
                "`{}` is not a date, so it cannot be {}",
                field.name,
                tf.rel.keyword()
            ),
            tf.span,
            "time filter on a non-date",
        ));
    }
    let from = date_value(&tf.from)?;
    let date: Date = match &tf.to {
        Some(to) => {
            let to_date = date_value(to)?;
            if to_date.hi < from.lo {
                return Err(Diagnostic::error(
                    "the end of `between` comes before its start",
                    to.span,
                    "earlier than the start",
                )
                .with_help("write the earlier date first"));
            }
            from.span_to(&to_date)
        }
        None => from,
    };
    Ok(Pred::Time(field, tf.rel, tf.modality, date))
}

fn time_filter(db: &Database, kind: KindId, tf: &TimeFilter) -> Result<Pred, Diagnostic> {
    let k = db.kind(kind);
    let Some(col) = k.date_column() else {
        return Err(Diagnostic::error(
            format!("kind `{}` has no `date` field to filter on", k.name),
            tf.span,
            "time filter",
        )
        .with_help("time filters apply to kinds with a field `date: date`; `:kinds` shows them"));
    };
    let field = FieldRef {
        column: Column::Field(col),
        derefs: vec![],
        ty: Type::Date,
        name: "date".into(),
        computed: None,
    };
    time_pred(field, tf)
}

/// A field named in another script than the schema's (`شريك` for `partner`): no spelling is
/// near, so every field is listed, and the note says how the schema names them.
fn foreign_field<'a>(
    d: Diagnostic,
    kind: &str,
    names: impl Iterator<Item = &'a str>,
) -> Diagnostic {
    let list: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    d.with_help(format!("the fields of `{kind}` are {}", list.join(", ")))
        .with_note(format!(
            "field names are written in Latin letters, digits and `_`, as the schema names them; \
             `:schema {kind}` describes each field"
        ))
}
