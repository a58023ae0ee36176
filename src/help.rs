//! The text of `:help` and its topics.

/// Meta-commands with their one-line descriptions, in the order `:help` lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "help",
        ":help [topic]          this list, or a topic (see below), or a command",
    ),
    (
        "kinds",
        ":kinds                 the kinds of facts, base and derived, with row counts",
    ),
    (
        "schema",
        ":schema [KIND]         the fields of a kind (or of all kinds)",
    ),
    (
        "rules",
        ":rules                 the rules, numbered as `why` cites them",
    ),
    (
        "drop",
        ":drop N | KIND         remove rule N (as `:rules` numbers it), or every rule of KIND",
    ),
    (
        "entities",
        ":entities [filter]     people, organisations, countries, places, aliases",
    ),
    (
        "load",
        ":load FILE             run a file of facts, rules or queries into the session",
    ),
    (
        "import",
        ":import KIND FILE      load a CSV or JSON Lines file as facts of KIND",
    ),
    (
        "save",
        ":save[!] FILE          write the session as a fact file `dalil --facts` loads",
    ),
    (
        "reset",
        ":reset                 back to the fact base loaded at start",
    ),
    (
        "format",
        ":format FORMAT         table, json, csv or svg (a picture): how results are printed",
    ),
    (
        "trust",
        ":trust stated|inferred|background   show only rows at least this strong",
    ),
    (
        "set",
        ":set approx N [unit]   how far `possibly` widens about-dates (`:set` shows the settings)\n\
         :set threads N         worker threads a round of rules is split between",
    ),
    (
        "timing",
        ":timing on|off         show how long each statement took",
    ),
    (
        "pager",
        ":pager on|off|auto     page long results at the prompt (auto: taller than the screen)",
    ),
    (
        "why",
        ":why                   the last query again, with the evidence for each row",
    ),
    (
        "explain",
        ":explain               the plan of the last query",
    ),
    ("quit", ":quit                  leave (Ctrl-D does too)"),
];

/// More about a command than its line in the list.
const COMMAND_DETAILS: &[(&str, &str)] = &[
    (
        "load",
        "Statements run as if typed: facts and rules stay for the session (and `:save` keeps
them), queries print their results. A relative FILE is read from the current directory.",
    ),
    (
        "save",
        "The file holds the fact base the session started from, then every declaration, entity,
fact and rule typed or loaded since, so `dalil --facts FILE` alone rebuilds the session.
It is checked to load on its own before it is written, and written to a temporary file
renamed over FILE, so a failure never leaves half a file. It refuses to overwrite a file
this session did not read or write, or one that changed on disk since (another session
saved to it, someone edited it); `:save! FILE` overwrites it anyway.",
    ),
    (
        "drop",
        "A rule whose kind grew past the memory budget or the row limit is set aside: `:rules`
marks it, queries no longer apply it, and `:save` writes it as a comment. Remove it with
`:drop N`, or enter it again (changed, or as it was after raising --max-memory) to apply it.
`:drop KIND` removes every rule that derives KIND.",
    ),
    (
        "reset",
        "Forgets every fact and rule typed or loaded in the session and reloads the fact base
from the start. Settings (`:format`, `:timing`) stay.",
    ),
    (
        "pager",
        "At the prompt, a result (a table, a `why` tree, a plan, help) goes through a pager: with
`auto` (the default) when it is taller than the screen, with `on` always, with `off` never.
The pager is $PAGER (an empty PAGER: none), else `less -FRX`; one that cannot be started
leaves the result printed as it is. Scripts, `-c` and piped output are never paged.",
    ),
    (
        "why",
        "`:why` runs `why` on the last query; `why QUERY` does the same for any query.",
    ),
    (
        "explain",
        "`:explain` runs `explain` on the last query; `explain QUERY` for any query.",
    ),
];

const KEYS: &str = "\
Keys at the prompt
  Enter        run the statement, or go on to the next line (`   ...> `) if it is unfinished
               (an open bracket or text, or a clause still missing its value)
  Tab          complete: kinds, the fields of the kind being queried, entity fields after
               `field.`, known values after = (entity names and aliases, Arabic too),
               keywords, commands after `:`, file names after :load and :save
  →  or End    take the grey hint (the rest of a statement from history)
  ↑ ↓          earlier statements; Ctrl-R searches them
  Ctrl-C       clear the line (and an unfinished statement), or stop a running query
  Ctrl-D       leave (on an empty line); at `...>`, cancel the unfinished statement
  Ctrl-L       clear the screen
History is kept in $XDG_STATE_HOME/dalil/history (or ~/.local/state/dalil/history);
DALIL_HISTORY names another file, --no-history keeps none.
";

const QUERIES: &str = "\
Queries
  KIND [ [fields] ] [where CONDITION] [time filters] [order by FIELD [asc|desc], …] [limit N]
  count KIND [by FIELD, …] [where …]
  why QUERY        each row with its evidence (citations, rules)
  explain QUERY    the plan: how the rows are reached, and the rules behind a derived kind
  explain analyze QUERY   the plan, run, with the rows and time of each step
  about \"NAME\" [where …]  every fact that names the entity, with citations and status

Conditions: = != < <= > >=, in (…), not in (…), contains \"text\", is unknown, is not unknown,
            and, or, not, ( … ). Paths follow entities: led_by.name, partner.name_ar.
            cite = p5 (a paragraph), cite = \"p5.s1\" (a sentence), cite = \"araby:p5\".
Names match folded: any case, no diacritics, Arabic hamza/taa marbuta/alef maqsura variants.
Examples:
  visit where partner = \"US\" after 2025-09-01
  visit[date, partner, led_by.name] order by date
  count statement by speaker
  statement where speaker.name contains \"Chengriha\"
";

const DATES: &str = "\
Dates (EDTF, ISO 8601-2 level 1)
  2025-09-23 (a day), 2025-09 (a month), 2025 (a year); after any of them ~ (about),
  ? (uncertain) or % (both): 2023~. An interval gives the first and last possible day:
  2025-09-14/2025-09-23; an end may be open (2025-09/.., ../2025) or unknown (2025-09/).
  A date stands for every day it may be: 2025-08 is some day in August 2025.
  Time filters apply to a kind's `date` field:
    after D       the fact is certainly after the last day of D
    before D      the fact is certainly before the first day of D
    on D, during D     the fact certainly falls within D
    between D and E    the fact certainly falls within D … E
  Put `possibly` in front for the generous reading (it may be so):
    visit possibly after 2025-08-15
  Under `possibly` an approximate date (~, %) first widens by one unit of its own precision
  (2023~ may be 2022 to 2024): `:set approx 0`, `:set approx 2 years`, `--approx \"10 days\"`.
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
  Every fact shows its citations in the `cite` column; `status` says stated/inferred/background
  (a derived row's: the weakest premise of its strongest derivation).
";

const RULES: &str = "\
Rules
  A rule derives a kind from others. Its head names the new kind and its fields; the body
  lists facts to match, sharing ?variables, with comparisons and `not`:
    within(inner: ?x, outer: ?y) :- located_in(place: ?x, region: ?y);
    within(inner: ?x, outer: ?z) :- located_in(place: ?x, region: ?y), within(inner: ?y, outer: ?z);
    silent(person: ?p) :- entity(id: ?p, type: \"person\"), not statement(speaker: ?p);
    best_rank(scope: ?s, rank: min(?r)) :- arms_ranking(supplier: russia, scope: ?s, rank: ?r);
  A derived kind is queried like any other (`within where inner = \"Stuttgart\"`), and `why`
  shows the rules and facts behind each row. Rules typed at the prompt last for the session.
  :rules lists them all.
  Rules compute (`:help functions`): `fact(n: ?i + 1, v: ?v * (?i + 1)) :- fact(n: ?i, v: ?v), ?i < 12`;
  `?d = days_between(?a, ?b)` binds a variable; `(… or …)` is a disjunction;
  `?n = count(?s : statement(speaker: ?p, id: ?s))` aggregates inside a body.
  A derived row's `status` is the weakest premise of its strongest derivation (stated >
  inferred > background); `status` and `cite` can be read in a body:
    said(place: ?x) :- located_in(place: ?x, status: \"stated\");
  `:trust stated` (or --trust stated) hides every weaker row from queries.
";

/// The tour: each numbered line is a query (checked by a test), with what it shows below it.
const TOUR: &str = "\
A tour of the article's fact base. Type each query (Tab completes names as you go):
  1. visit
       every visit, each with the sentences of the article it is cited from (pN.sM)
  2. visit where partner = \"US\" after 2025-09-01
       the US delegation of 14 September; \"US\" is one of the United States' names
  3. visit[date, partner, led_by.name] order by date
       chosen fields, following led_by to the person's name
  4. count statement by speaker
       who said how much
  5. why courted_by_both
       a kind derived by rules (:rules lists them), traced down to the article's sentences
Next: :kinds lists what there is to ask about, :schema KIND its fields, :help queries the rest.
";

const TOPICS: &str = "queries, dates, entities, facts, rules, functions, keys, tour";

/// `:help functions`: the operators and the table of built-in functions.
fn functions() -> String {
    let mut s = String::from(
        "Functions and operators
  In a rule, wherever a value can stand: + - * (numbers), / exact division, // integer
  division truncated toward zero, % its remainder; unary -; ( ). Integers are exact; an overflow
  or a division by zero is an error naming the rule. Unknown in, unknown out.
  A date function answers with what is certain (the weekday of 2025-09 is unknown).
",
    );
    for f in crate::check::functions::FUNCTIONS {
        s.push_str(&format!("  {:<34} {}\n", f.usage(), f.doc));
    }
    s
}

/// The help text for `topic` (empty for the overview): a topic, or a command's line and details.
pub fn help(topic: &str) -> String {
    let topic = topic.trim().trim_start_matches(':');
    match topic {
        "" => {
            let mut s = String::from("Commands (type a query, or one of these):\n");
            for (_, entry) in COMMANDS {
                for line in entry.lines() {
                    s.push_str("  ");
                    s.push_str(line);
                    s.push('\n');
                }
            }
            s.push_str(&format!("\nTopics: :help TOPIC, for {TOPICS}\n"));
            s
        }
        "queries" | "query" => QUERIES.into(),
        "dates" | "date" | "time" => DATES.into(),
        "entities" | "entity" => ENTITIES.into(),
        "facts" | "schema" => FACTS.into(),
        "rules" | "rule" => RULES.into(),
        "functions" | "function" | "arithmetic" => functions(),
        "keys" | "keyboard" | "prompt" => KEYS.into(),
        "tour" => TOUR.into(),
        // `:help save!` is `:help save`.
        other => match COMMANDS
            .iter()
            .find(|(n, _)| *n == other.trim_end_matches('!'))
        {
            Some((name, line)) => {
                let mut s = format!("{line}\n");
                if let Some((_, more)) = COMMAND_DETAILS.iter().find(|(n, _)| n == name) {
                    s.push_str(more);
                    s.push('\n');
                }
                s
            }
            None => format!("no help topic `{other}`; the topics are {TOPICS}\n"),
        },
    }
}

/// The queries of the tour, in order.
pub fn tour_queries() -> Vec<&'static str> {
    TOUR.lines()
        .filter_map(|l| {
            let (n, rest) = l.trim_start().split_once(". ")?;
            n.parse::<u32>().ok().map(|_| rest.trim())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Reply, Session};

    #[test]
    fn every_tour_query_runs_and_finds_something() {
        let queries = tour_queries();
        assert_eq!(queries.len(), 5);
        let mut s = Session::with_article().expect("article");
        for q in queries {
            let mut out = String::new();
            let summary = s.run("<tour>", q, &mut |r| {
                if let Reply::Text(t) | Reply::Error(t) = r {
                    out.push_str(&t)
                }
            });
            assert_eq!(summary.failed, 0, "{q}:\n{out}");
            assert!(!out.contains("(no rows"), "{q} found nothing:\n{out}");
        }
    }

    #[test]
    fn every_command_has_a_line_and_help() {
        for (name, line) in COMMANDS {
            assert!(line.starts_with(&format!(":{name}")), "{line}");
            // Some commands share their name with a topic, which wins.
            if !["help", "schema", "rules", "entities"].contains(name) {
                assert!(help(name).starts_with(line));
            }
        }
    }
}
