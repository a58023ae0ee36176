//! Declarations and facts: `kind` schemas, `entity` declarations and facts, checked against the
//! schema and added to the database. A statement with a mistake adds nothing.

use super::values::typed_value;
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean, suggestion};
use crate::store::{
    Cite, Database, ENTITY, Field, Kind, KindId, KindOrigin, MENTION, Origin, Relation, SOURCE,
    Type, Value, entity_cols, short_key,
};
use crate::syntax::ast::{self, EntityDecl, FieldValue, KindDecl, Literal, Provenance};
use crate::syntax::is_keyword;

/// Adds a kind's schema. A kind may be declared again only with the same fields.
pub fn declare_kind(db: &mut Database, decl: &KindDecl) -> Result<(), Diagnostics> {
    let mut errors = Vec::new();
    let mut fields = vec![Field {
        name: "id".into(),
        ty: Type::Ref,
        doc: Some("the fact's own name, for other facts to refer to".into()),
    }];
    for f in &decl.fields {
        if let Some(d) = crate::check::query::provenance_name(&f.name.text, f.name.span) {
            errors.push(d);
            continue;
        }
        if f.name.text == "id" {
            // Every kind has `id` already: the fact's own name (`visit(id: us_visit, …)`).
            errors.push(
                Diagnostic::error(
                    "every kind has a field `id` already: the fact's own name",
                    f.name.span,
                    "declared by every kind",
                )
                .with_help(format!(
                    "give this field another name, such as `{}_id` or `number`; a fact names \
                     itself with `id: some_name`",
                    decl.name.text
                )),
            );
            continue;
        }
        if fields.iter().any(|x| x.name == f.name.text) {
            errors.push(Diagnostic::error(
                format!("field `{}` is declared twice", f.name.text),
                f.name.span,
                "again here",
            ));
            continue;
        }
        match Type::from_name(&f.ty.text) {
            Some(ty) => fields.push(Field {
                name: f.name.text.clone(),
                ty,
                doc: f.doc.clone(),
            }),
            None => errors.push(
                Diagnostic::error(
                    format!("`{}` is not a type", f.ty.text),
                    f.ty.span,
                    "unknown type",
                )
                .with_suggestion(
                    f.ty.span,
                    &f.ty.text,
                    Type::NAMES.iter().copied(),
                    "types",
                ),
            ),
        }
    }
    if let Some(id) = db.kind_id(&decl.name.text) {
        let existing = db.kind(id);
        let same = existing.fields.len() == fields.len()
            && existing
                .fields
                .iter()
                .zip(&fields)
                .all(|(a, b)| a.name == b.name && a.ty == b.ty);
        if !same || existing.origin == KindOrigin::Builtin {
            errors.push(
                Diagnostic::error(
                    format!("kind `{}` already exists with other fields", decl.name.text),
                    decl.name.span,
                    "declared again here",
                )
                .with_help("give the new kind another name, or `:reset` to start over"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if db.kind_id(&decl.name.text).is_none() {
        db.add_kind(Kind {
            name: decl.name.text.clone(),
            doc: decl.doc.clone(),
            fields,
            origin: KindOrigin::Declared(decl.name.span),
            relation: Relation::default(),
        });
    }
    Ok(())
}

fn text_field<'a>(decl: &'a EntityDecl, name: &str) -> Option<&'a str> {
    decl.fields
        .iter()
        .find(|f| f.name.text == name)
        .and_then(|f| match &f.value.lit {
            Literal::Text(t) => Some(t.as_str()),
            _ => None,
        })
}

/// First pass over an entity: its id and names become known, so that anything may refer to it.
pub fn announce_entity(db: &mut Database, decl: &EntityDecl) -> Diagnostics {
    let id = db.interner.intern(&decl.id.text);
    let mut names = vec![decl.id.text.clone()];
    names.extend(
        ["name", "name_ar"]
            .iter()
            .filter_map(|f| text_field(decl, f))
            .map(String::from),
    );
    if let Some(f) = decl.fields.iter().find(|f| f.name.text == "aliases")
        && let Literal::List(items) = &f.value.lit
    {
        names.extend(items.iter().filter_map(|i| match &i.lit {
            Literal::Text(t) => Some(t.clone()),
            _ => None,
        }));
    }
    let clashes = db.announce_entity(id, &names);
    clashes
        .into_iter()
        .map(|(name, other)| {
            let span = decl
                .fields
                .iter()
                .find(|f| match &f.value.lit {
                    Literal::Text(t) => *t == name,
                    Literal::List(items) => items
                        .iter()
                        .any(|i| matches!(&i.lit, Literal::Text(t) if *t == name)),
                    _ => false,
                })
                .map_or(decl.id.span, |f| f.value.span);
            Diagnostic::error(
                format!(
                    "the name `{name}` already belongs to entity `{}`",
                    db.interner.resolve(other)
                ),
                span,
                "taken",
            )
            .with_help("each name or alias must lead to one entity; remove it from one of them")
            .warning()
        })
        .collect()
}

/// What an entity may be (the word after `entity id:`).
pub const ENTITY_TYPES: &[&str] = &[
    "person",
    "organisation",
    "country",
    "city",
    "region",
    "group",
];

/// Second pass over an entity: its fields are checked and its row added.
pub fn add_entity(db: &mut Database, decl: &EntityDecl) -> Result<(), Diagnostics> {
    let kind_id = db.kind_id(ENTITY).expect("entity kind is built in");
    let id = db.interner.intern(&decl.id.text);
    let ty = db.interner.intern(&decl.entity_type.text);
    let mut row = vec![Value::Null; db.kind(kind_id).fields.len()];
    row[entity_cols::ID] = Value::Entity(id);
    row[entity_cols::TYPE] = Value::Text(ty);
    let mut errors = Vec::new();
    if !ENTITY_TYPES.contains(&decl.entity_type.text.as_str()) {
        errors.push(
            Diagnostic::error(
                format!("`{}` is not a type of entity", decl.entity_type.text),
                decl.entity_type.span,
                "unknown entity type",
            )
            .with_suggestion(
                decl.entity_type.span,
                &decl.entity_type.text,
                ENTITY_TYPES.iter().copied(),
                "entity types",
            ),
        );
    }
    errors.extend(fill_fields(
        db,
        kind_id,
        &decl.fields,
        &mut row,
        &["id", "type"],
    ));
    errors.extend(provenance_errors(db, &decl.provenance));
    if !errors.is_empty() {
        return Err(errors);
    }
    let origin = origin_of(db, &decl.provenance, decl.span);
    let (row_idx, _) = db.kind_mut(kind_id).relation.insert(row.into(), origin);
    db.place_entity(id, row_idx);
    Ok(())
}

/// Checks each `field: value` against the kind's schema, writing values into `row`.
fn fill_fields(
    db: &mut Database,
    kind_id: KindId,
    fields: &[FieldValue],
    row: &mut [Value],
    reserved: &[&str],
) -> Diagnostics {
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    // Values given by position fill, in order, the declared fields no value names (as the
    // arguments of a rule's atom do).
    let kind = db.kind(kind_id);
    let named: Vec<&str> = fields
        .iter()
        .filter(|f| !f.positional)
        .map(|f| f.name.text.as_str())
        .collect();
    let mut free = kind.fields[1..]
        .iter()
        .map(|f| f.name.clone())
        .filter(|n| !named.contains(&n.as_str()) && !reserved.contains(&n.as_str()))
        .collect::<Vec<String>>()
        .into_iter();
    let by_position: Vec<Option<String>> = fields
        .iter()
        .map(|f| if f.positional { free.next() } else { None })
        .collect();
    for (fv, placed) in fields.iter().zip(&by_position) {
        let name = match (fv.positional, placed) {
            (false, _) => fv.name.text.as_str(),
            (true, Some(name)) => name.as_str(),
            (true, None) => {
                let kind = db.kind(kind_id);
                let declared: Vec<&str> =
                    kind.fields[1..].iter().map(|f| f.name.as_str()).collect();
                errors.push(
                    Diagnostic::error(
                        format!(
                            "kind `{}` has {} field{}, and this value fills none of them",
                            kind.name,
                            declared.len(),
                            if declared.len() == 1 { "" } else { "s" }
                        ),
                        fv.value.span,
                        "one value too many",
                    )
                    .with_help(format!(
                        "its fields in order are {}; values without a name fill the fields no \
                         value names",
                        declared.join(", ")
                    )),
                );
                continue;
            }
        };
        if seen.contains(&name) {
            errors.push(Diagnostic::error(
                format!("field `{name}` is given twice"),
                fv.name.span,
                "again here",
            ));
            continue;
        }
        seen.push(name);
        let kind = db.kind(kind_id);
        let Some(col) = kind.column(name).filter(|_| !reserved.contains(&name)) else {
            let names: Vec<&str> = kind
                .field_names()
                .filter(|n| !reserved.contains(n))
                .collect();
            errors.push(
                Diagnostic::error(
                    if kind.name == ENTITY {
                        format!("an entity has no field `{name}`")
                    } else {
                        format!("kind `{}` has no field `{name}`", kind.name)
                    },
                    fv.name.span,
                    "unknown field",
                )
                .with_suggestion(
                    fv.name.span,
                    name,
                    names.iter().copied(),
                    "fields",
                ),
            );
            continue;
        };
        let ty = kind.fields[col].ty;
        // The field's name is spelled into the message only when there is one (a million
        // facts would otherwise format a million names for nothing).
        match typed_value(db, &fv.value, ty, "") {
            Ok(v) => row[col] = v,
            Err(_) => {
                let what = format!("field `{name}`");
                if let Err(d) = typed_value(db, &fv.value, ty, &what) {
                    errors.push(d);
                }
            }
        }
    }
    errors
}

fn provenance_errors(db: &Database, prov: &Provenance) -> Diagnostics {
    let mut errors = Vec::new();
    for c in &prov.cites {
        if let Some(src) = &c.source
            && !db.has_source(&src.text)
        {
            let names = db.source_names();
            let d = Diagnostic::error(
                format!("no source is called `{}`", src.text),
                src.span,
                "unknown source",
            );
            errors.push(
                match did_you_mean(&src.text, names.iter().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(
                        "declare it first: `source name(outlet: \"…\", date: 2025-09-23)`",
                    ),
                },
            );
        }
        if c.paragraph == 0 || c.sentence == 0 {
            errors.push(
                Diagnostic::error(
                    "paragraphs and sentences are counted from 1",
                    c.span,
                    "here",
                )
                .with_help("cite as pN.sM, e.g. p5.s1"),
            );
        }
    }
    errors
}

fn origin_of(db: &mut Database, prov: &Provenance, span: crate::diagnostic::Span) -> Origin {
    let cites: Vec<Cite> = prov
        .cites
        .iter()
        .map(|c| Cite {
            source: c
                .source
                .as_ref()
                .map(|s| s.text.clone())
                .or_else(|| db.current_source.clone()),
            paragraph: c.paragraph,
            sentence: c.sentence,
            quote: c.quote.clone(),
        })
        .collect();
    // Interned, so that the `cite` column can show them (with or without their source).
    for c in &cites {
        db.interner.intern(&c.label(false));
        db.interner.intern(&c.label(true));
    }
    Origin::Stated {
        cites,
        inferred: prov.inferred.clone(),
        background: prov.background.clone(),
        is_background: prov.is_background,
        span: Some(span),
    }
}

/// Checks a fact against its kind's schema and adds it.
pub fn add_fact(db: &mut Database, fact: &ast::Fact) -> Result<(), Diagnostics> {
    let Some(kind_id) = db.kind_id(&fact.kind.text) else {
        return Err(vec![unknown_kind(db, &fact.kind)]);
    };
    if kind_id == 0 {
        return Err(vec![
            Diagnostic::error(
                "entities are declared with `entity`",
                fact.kind.span,
                "not a fact kind",
            )
            .with_help("write `entity some_id: person(name: \"…\")`"),
        ]);
    }
    if db.kind(kind_id).name == MENTION {
        return Err(vec![
            Diagnostic::error(
                "`mention` is computed by dalil from every fact; it cannot be written",
                fact.kind.span,
                "built-in kind",
            )
            .with_help("write the fact itself; its entity fields become mentions"),
        ]);
    }
    if db.kind(kind_id).is_only_derived() {
        return Err(vec![
            Diagnostic::error(
                format!(
                    "`{}` is defined by rules; its facts are derived, not written",
                    fact.kind.text
                ),
                fact.kind.span,
                "derived kind",
            )
            .with_help(format!(
                "to state facts and derive more, declare it first: `kind {}(…)`, then its facts and rules",
                fact.kind.text
            )),
        ]);
    }
    let mut row = vec![Value::Null; db.kind(kind_id).fields.len()];
    let mut errors = fill_fields(db, kind_id, &fact.fields, &mut row, &[]);
    errors.extend(provenance_errors(db, &fact.provenance));
    let id = match &row[0] {
        Value::Ref(sym) => Some(*sym),
        _ => None,
    };
    if let Some(sym) = id
        && let Some((other_kind, other_row)) = db.fact_by_id(sym)
    {
        let span = fact
            .fields
            .iter()
            .find(|f| f.name.text == "id")
            .map_or(fact.span, |f| f.value.span);
        let mut d = Diagnostic::error(
            format!(
                "another fact already has the id `{}`",
                db.interner.resolve(sym)
            ),
            span,
            "id used twice",
        )
        .with_help("give each fact its own id");
        if let Origin::Stated {
            span: Some(first), ..
        } = db.kind(other_kind).relation.origin(other_row)
            && first.source == span.source
        {
            d = d.with_secondary(first, "the first fact with this id");
        }
        errors.push(d);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let origin = origin_of(db, &fact.provenance, fact.span);
    db.kind_mut(kind_id).before_stating();
    let (row_idx, _) = db.kind_mut(kind_id).relation.insert(row.into(), origin);
    if let Some(sym) = id {
        db.register_fact_id(sym, kind_id, row_idx);
        if db.kind(kind_id).name == SOURCE {
            // The citations and relative dates that follow in this text point into it.
            db.current_source = Some(db.interner.resolve(sym).to_string());
        }
    }
    Ok(())
}

/// What [`add_plain_fact`] remembers from one fact to the next of a text: the last kind and
/// where its fields were, and per column the values already converted, keyed by how they were
/// written. Valid only while nothing but plain facts runs: clear it after any other statement.
#[derive(Default)]
pub struct FactCache {
    kind: Option<KindId>,
    /// Per kind: the columns of the fields in the order the last fact gave them.
    order: Vec<Vec<usize>>,
    /// Per kind, per column: value as written (up to 15 bytes, packed) → value.
    memo: Vec<Vec<hashbrown::HashMap<u128, Value>>>,
    row: Vec<Value>,
    /// Texts and ids to intern once the fact is known to be good: (column, text).
    pending: Vec<(usize, usize)>,
}

/// Most values remembered per column.
const MEMO_LIMIT: usize = 1 << 16;

impl FactCache {
    pub fn clear(&mut self) {
        *self = FactCache::default();
    }
}

/// [`add_fact`] for a plain fact read by the fast path, without a syntax tree. Adds the fact
/// and returns true when it is good; returns false, changing nothing, for anything
/// [`add_fact`] would report or that this path does not handle — the caller then runs
/// [`add_fact`] on the full syntax tree, which reports exactly as before.
pub fn add_plain_fact(
    db: &mut Database,
    fact: &crate::syntax::fast::PlainFact,
    cache: &mut FactCache,
) -> bool {
    use crate::syntax::fast::Raw;
    let kind_id = match cache.kind {
        Some(k) if k < db.kinds.len() && db.kinds[k].name == fact.kind => k,
        _ => match db.kind_id(fact.kind) {
            Some(k) => k,
            None => return false,
        },
    };
    if !db.kind(kind_id).is_written() {
        return false;
    }
    cache.kind = Some(kind_id);
    let width = db.kind(kind_id).fields.len();
    if width > 64 {
        return false;
    }
    if cache.order.len() <= kind_id {
        cache.order.resize_with(kind_id + 1, Vec::new);
        cache.memo.resize_with(kind_id + 1, Vec::new);
    }
    if cache.memo[kind_id].len() != width {
        cache.memo[kind_id] = vec![hashbrown::HashMap::new(); width];
    }
    cache.row.clear();
    cache.row.resize(width, Value::Null);
    cache.pending.clear();
    let mut seen = 0u64;
    for (j, &(name, raw, written)) in fact.fields.iter().enumerate() {
        let kind = &db.kinds[kind_id];
        let order = &mut cache.order[kind_id];
        let col = match order.get(j) {
            Some(&c) if kind.fields[c].name == name => c,
            _ => {
                let Some(c) = kind.column(name) else {
                    return false;
                };
                if order.len() <= j {
                    order.resize(j + 1, c);
                }
                order[j] = c;
                c
            }
        };
        if seen & (1 << col) != 0 {
            return false;
        }
        seen |= 1 << col;
        let ty = kind.fields[col].ty;
        if matches!(raw, Raw::Unknown) {
            continue;
        }
        let key = if ty == Type::Ref {
            None
        } else {
            short_key(written.as_bytes())
        };
        if let Some(k) = key
            && let Some(v) = cache.memo[kind_id][col].get(&k)
        {
            cache.row[col] = v.clone();
            continue;
        }
        let v = match (ty, raw) {
            (Type::Text, Raw::Text(t)) => match db.interner.get(t) {
                Some(s) => Value::Text(s),
                None => {
                    cache.pending.push((col, j));
                    continue;
                }
            },
            (Type::Number, Raw::Number(n)) => Value::Num(n),
            (Type::Bool, Raw::Bool(b)) => Value::Bool(b),
            (Type::Date, Raw::Date(t)) => match crate::date::Date::parse(t) {
                Ok(d) => Value::Date(d),
                Err(_) => return false,
            },
            (Type::Date, Raw::Number(n)) if n.fract() == 0.0 && (1.0..=9999.0).contains(&n) => {
                match crate::date::Date::year(n as i32) {
                    Some(d) => Value::Date(d),
                    None => return false,
                }
            }
            (Type::Entity, Raw::Name(t) | Raw::Text(t)) => match db.resolve_entity(t) {
                Some(s) => Value::Entity(s),
                None => return false,
            },
            (Type::Ref, Raw::Name(n)) => match db.interner.get(n) {
                Some(s) => Value::Ref(s),
                None => {
                    cache.pending.push((col, j));
                    continue;
                }
            },
            _ => return false,
        };
        if let Some(k) = key {
            let memo = &mut cache.memo[kind_id][col];
            if memo.len() < MEMO_LIMIT {
                memo.insert(k, v.clone());
            }
        }
        cache.row[col] = v;
    }
    // Another fact with this id (an id not yet interned is no fact's).
    if let Value::Ref(sym) = cache.row[0]
        && db.fact_by_id(sym).is_some()
    {
        return false;
    }
    // The fact is good: intern its new texts, in the order the full path would.
    for &(col, j) in &cache.pending {
        let (text, v) = match fact.fields[j].1 {
            Raw::Text(t) => (t, 0),
            Raw::Name(n) => (n, 1),
            _ => unreachable!("only texts and names wait to be interned"),
        };
        let sym = db.interner.intern(text);
        cache.row[col] = if v == 0 {
            Value::Text(sym)
        } else {
            Value::Ref(sym)
        };
    }
    let id = match cache.row[0] {
        Value::Ref(sym) => Some(sym),
        _ => None,
    };
    let span = fact.span;
    db.kind_mut(kind_id).before_stating();
    let (row_idx, _) = db
        .kind_mut(kind_id)
        .relation
        .insert_ref(&cache.row, || Origin::Stated {
            cites: Vec::new(),
            inferred: None,
            background: None,
            is_background: false,
            span: Some(span),
        });
    if let Some(sym) = id {
        db.register_fact_id(sym, kind_id, row_idx);
    }
    true
}

/// "no kind `vist`", with the nearest kind.
pub fn unknown_kind(db: &Database, name: &ast::Name) -> Diagnostic {
    let text = &name.text;
    if is_keyword(text) {
        return Diagnostic::error(
            format!("`{text}` is a keyword, not a kind"),
            name.span,
            "keyword",
        );
    }
    let d = Diagnostic::error(
        format!("there is no kind `{text}`"),
        name.span,
        "unknown kind",
    );
    // `help`, `exit`, `quit`, `clear`: a meta-command in other tools.
    if let Some(hint) = crate::meta::meta_word_hint(text) {
        return d.with_help(hint);
    }
    let d = d.with_suggestion(name.span, text, db.kind_names(), "kinds");
    if d.help.is_some() {
        d
    } else {
        d.with_help("`:kinds` lists the kinds")
    }
}

/// After a batch: every `ref` field and entity field of the rows added since `since` (the
/// relations' lengths when the batch began) must lead to a declared fact or entity.
pub fn dangling_references(db: &Database, since: &[usize]) -> Diagnostics {
    let mut missing = Vec::new();
    for (k, kind) in db.kinds.iter().enumerate() {
        if !kind.is_written() && k != 0 {
            continue;
        }
        let start = since.get(k).copied().unwrap_or(0);
        // Only reference and entity fields can dangle; a million-row load reads just those
        // cells, and a row's origin only when one of them does.
        let columns: Vec<(usize, &crate::store::Field)> = kind
            .fields
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, f)| matches!(f.ty, Type::Ref | Type::Entity))
            .collect();
        if columns.is_empty() {
            continue;
        }
        for i in start..kind.relation.len() {
            for &(c, f) in &columns {
                let value = kind.relation.get(i as u32, c);
                let dangles = match (&value, f.ty) {
                    (Value::Ref(s), Type::Ref) => db.fact_by_id(*s).is_none() && !db.has_entity(*s),
                    (Value::Entity(s), _) => db.entity_index(*s).is_none(),
                    _ => false,
                };
                if !dangles {
                    continue;
                }
                let span = match &kind.relation.origin(i as u32) {
                    Origin::Stated { span: Some(s), .. } => *s,
                    _ => continue,
                };
                let msg = match (&value, f.ty) {
                    (Value::Ref(s), Type::Ref) => format!(
                        "`{}` in field `{}` is not the id of any fact",
                        db.interner.resolve(*s),
                        f.name
                    ),
                    (Value::Entity(s), _) => format!(
                        "entity `{}` in field `{}` is named but never declared",
                        db.interner.resolve(*s),
                        f.name
                    ),
                    _ => continue,
                };
                let help = match (&value, f.ty) {
                    (Value::Ref(s), Type::Ref) => {
                        // Sorted, so the same mistake always gets the same report.
                        let mut ids: Vec<&str> = db.fact_id_names().collect();
                        ids.sort_unstable();
                        suggestion(db.interner.resolve(*s), ids, "fact ids")
                    }
                    _ => None,
                };
                missing.push(
                    Diagnostic::error(msg, span, "in this fact")
                        .with_help_opt(help)
                        .with_note("declare it, or correct the name"),
                );
            }
        }
    }
    missing
}
