//! The text of `:help` and its topics.

/// Meta-commands with their one-line descriptions.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "help",
        ":help [topic]       this list, or a topic: queries, dates, entities, facts, rules, tour",
    ),
    (
        "kinds",
        ":kinds              the kinds of facts, with their row counts",
    ),
    (
        "schema",
        ":schema [KIND]      the fields of a kind (or of all kinds)",
    ),
    (
        "entities",
        ":entities [filter]  people, organisations, countries and places, with their aliases",
    ),
    ("format", ":format table|json|csv  how results are printed"),
    (
        "timing",
        ":timing on|off      show how long each statement took",
    ),
    (
        "why",
        ":why                the last query again, with the evidence for each row",
    ),
    ("explain", ":explain            the plan of the last query"),
    ("quit", ":quit               leave (Ctrl-D does too)"),
];

const QUERIES: &str = "\
Queries
  KIND [ [fields] ] [where CONDITION] [time filters] [order by FIELD [asc|desc], …] [limit N]
  count KIND [by FIELD, …] [where …]
  why QUERY        each row with its evidence (citations, rules)
  explain QUERY    the plan

Conditions: = != < <= > >=, in (…), not in (…), contains \"text\", is unknown, is not unknown,
            and, or, not, ( … ). Paths follow entities: led_by.name, partner.name_ar.
Examples:
  visit where partner = \"US\" after 2025-09-01
  visit[date, partner, led_by.name] order by date
  count statement by speaker
  statement where speaker.name contains \"Chengriha\"
";

const DATES: &str = "\
Dates
  2025-09-23 (a day), 2025-09 (a month), 2025 (a year), 2023~ (about 2023).
  A date stands for every day it may be: 2025-08 is some day in August 2025.
  Time filters apply to a kind's `date` field:
    after D       the fact is certainly after the last day of D
    before D      the fact is certainly before the first day of D
    on D, during D     the fact certainly falls within D
    between D and E    the fact certainly falls within D … E
  Put `possibly` in front for the generous reading (it may be so):
    visit possibly after 2025-08-15
  A fact without a date is never certainly anywhere in time, but possibly anywhere.
  In conditions: date > D is `after`, date < D is `before`, date = D means the same date as written.
";

const ENTITIES: &str = "\
Entities
  People, organisations, countries and places are entities. A field that holds one matches
  any of its names: partner = \"US\", partner = \"USA\", partner = \"الولايات المتحدة\" are the same.
  Latin names match in any case; Arabic as written. `:entities rus` lists matching entities.
  Their fields: id, type, name, name_ar, role, affiliation, aliases (e.g. led_by.role).
";

const FACTS: &str = "\
Facts and schemas
  kind visit \"a visit\" (partner: entity, date: date, purpose: text);
  entity tudor: person(name: \"Claude Tudor\", aliases: [\"Tudor\"]) cite p5.s1;
  visit(id: v1, partner: united_states, date: 2025-09-14) cite p5.s1 \"short quote\";
  Field types: text, number, date, entity, ref (the id of another fact), bool, list.
  Provenance: cite pN.sM [\"quote\"], … ; inferred \"basis\" ; background \"note\".
  Every fact shows its citations in the `cite` column; `status` says stated/inferred/background.
";

const RULES: &str = "\
Rules
  within(inner: ?x, outer: ?y) :- located_in(place: ?x, region: ?y);
  Rules are parsed, but their evaluation is not available in this version.
";

const TOUR: &str = "\
A tour of the article's fact base (type each line):
  1. visit                                       every visit, with its citations
  2. visit where partner = \"US\" after 2025-09-01   the US delegation of 14 September
  3. visit[date, partner, led_by.name] order by date
  4. count statement by speaker                  who said how much
  5. why agreement where counterparty = \"AFRICOM\"  the memorandum and where the article says it
";

/// The help text for `topic` (empty for the overview).
pub fn help(topic: &str) -> String {
    match topic.trim() {
        "" => {
            let mut s = String::from("Commands (type a query, or one of these):\n");
            for (_, line) in COMMANDS {
                s.push_str("  ");
                s.push_str(line);
                s.push('\n');
            }
            s.push_str("\nTopics: :help queries | dates | entities | facts | rules | tour\n");
            s
        }
        "queries" | "query" => QUERIES.into(),
        "dates" | "date" | "time" => DATES.into(),
        "entities" | "entity" => ENTITIES.into(),
        "facts" | "schema" => FACTS.into(),
        "rules" => RULES.into(),
        "tour" => TOUR.into(),
        other => format!(
            "no help topic `{other}`; the topics are queries, dates, entities, facts, rules, tour\n"
        ),
    }
}
