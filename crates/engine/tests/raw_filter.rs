//! The raw-text prefilter against the engine: for generated rules and native UDM JSON lines,
//! a line whose parsed event gives some event variable a row (`Prefilter::wants`) must pass
//! `RawFilter::may_match`.

use std::sync::Arc;

use engine::{Context, Prefilter, Rule};

/// A xorshift generator, so that every run tries the same cases.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Words the rules require: case-folding pairs (`k` and the Kelvin sign, `s` and the long s),
/// characters that JSON escapes, a slash, non-ASCII text and an IP address.
const WORDS: &[&str] = &[
    "adm",
    "OKTA",
    "kelvin",
    "Secret",
    "stra\u{df}e",
    "\u{e9}t\u{e9}",
    "a\"b",
    "C:\\x",
    "t\tb",
    "n\nl",
    "a/b",
    "\u{17f}ky",
    "\u{212a}ey",
    "\u{130}d",
    "10.0.0.1",
    "\u{3a3}\u{3c3}",
    "x",
];

/// UDM `string` fields that occur once per event.
const SINGLE_FIELDS: &[(&str, &str)] = &[
    ("principal.user.userid", "principal.user.userid"),
    ("metadata.log_type", "metadata.logType"),
    ("metadata.product_name", "metadata.productName"),
    ("metadata.product_event_type", "metadata.productEventType"),
    ("principal.hostname", "principal.hostname"),
    ("target.user.user_display_name", "target.user.userDisplayName"),
];

/// UDM `string` fields that repeat.
const REPEATED_FIELDS: &[(&str, &str)] = &[
    ("principal.ip", "principal.ip"),
    ("target.ip", "target.ip"),
    ("principal.user.email_addresses", "principal.user.emailAddresses"),
];

const EVENT_TYPES: &[&str] = &["USER_LOGIN", "NETWORK_HTTP", "FILE_READ"];

/// The entries of the reference list `%WORDS`.
const LIST_WORDS: &[&str] = &["OKTA", "kelvin", "a/b", "10.0.0.1"];

/// Writes text as a YARA-L string literal.
fn yaral_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a regex pattern as a YARA-L `/.../` literal, escaping its slashes.
fn yaral_regex(pattern: &str) -> String {
    format!("/{}/", pattern.replace('/', "\\/"))
}

/// Escapes a word for a regex, spelling a tab and a line break as `\t` and `\n`.
fn regex_text(word: &str) -> String {
    regex_syntax::escape(word).replace('\t', "\\t").replace('\n', "\\n")
}

/// Builds a regex pattern around `word` with anchors, alternations, classes, quotes, repeats
/// or inline flags.
fn pattern(random: &mut Random, word: &str, other: &str) -> String {
    let text = regex_text(word);
    let first = word.chars().next().unwrap_or('x');
    let rest: String = word.chars().skip(1).collect();
    let rest = regex_text(&rest);
    let upper: String = first.to_uppercase().collect();
    let lower: String = first.to_lowercase().collect();
    let class = format!("[{}{}]", regex_text(&upper), regex_text(&lower));
    match random.below(14) {
        0 => format!("^{text}"),
        1 => format!("{text}$"),
        2 => text,
        3 => format!("^({text}|{})$", regex_text(other)),
        4 => format!("{class}{rest}"),
        5 if !word.contains(['\\', '/', '\n', '\t']) => format!("^\\Q{word}\\E"),
        5 => format!("^{text}"),
        6 => format!("({text})+"),
        7 => format!("{}?{text}", regex_text(other)),
        8 => format!("\\b{text}"),
        9 => format!("(?i){text}"),
        10 => format!("(?:{text})[0-9]"),
        11 => format!("{text}\\d*"),
        12 => format!("[ab]{text}"),
        _ => format!("(?i:{text}|{})", regex_text(other)),
    }
}

/// Builds one filter on the event variable `var`.
fn filter(random: &mut Random, var: &str) -> String {
    let word = *random.pick(WORDS);
    let other = *random.pick(WORDS);
    let field = if random.chance(3) {
        random.pick(REPEATED_FIELDS).0
    } else {
        random.pick(SINGLE_FIELDS).0
    };
    let nocase = if random.chance(3) { " nocase" } else { "" };
    match random.below(13) {
        0 | 1 => format!("${var}.{field} = {}{nocase}", yaral_string(word)),
        2 => format!("${var}.{field} in ({}, {}){nocase}", yaral_string(word), yaral_string(other)),
        3..=5 => {
            let regex = pattern(random, word, other);
            format!("${var}.{field} = {}{nocase}", yaral_regex(&regex))
        }
        6 => {
            let second = random.pick(SINGLE_FIELDS).0;
            let regex = pattern(random, other, word);
            format!(
                "(${var}.{field} = {} or ${var}.{second} = {}{nocase})",
                yaral_string(word),
                yaral_regex(&regex)
            )
        }
        7 => {
            if random.chance(2) {
                format!("not ${var}.{field} = {}", yaral_string(word))
            } else {
                format!("${var}.{field} != {}{nocase}", yaral_string(word))
            }
        }
        8 => format!("${var}.metadata.event_type = \"{}\"", random.pick(EVENT_TYPES)),
        9 => format!("${var}.{field} in %WORDS{nocase}"),
        10 => {
            let regex = pattern(random, word, other);
            format!("re.regex(${var}.{field}, {}){nocase}", yaral_regex(&regex))
        }
        11 => {
            let second = random.pick(SINGLE_FIELDS).0;
            format!("${var}.{field} = ${var}.{second}")
        }
        _ => format!("${var}.{field} = \"\""),
    }
}

/// Builds the text of a rule with one or two event variables. Two variables join on the user
/// id.
fn rule_text(random: &mut Random, index: usize) -> String {
    let variables: &[&str] = if random.chance(3) { &["a", "b"] } else { &["e"] };
    let mut lines = Vec::new();
    for var in variables {
        for _ in 0..1 + random.below(3) {
            lines.push(filter(random, var));
        }
    }
    if variables.len() == 2 {
        if random.chance(3) {
            // A filter across both variables pins neither.
            let (first, second) = (random.pick(SINGLE_FIELDS).0, random.pick(SINGLE_FIELDS).0);
            let (word, other) = (*random.pick(WORDS), *random.pick(WORDS));
            let (word, other) = (yaral_string(word), yaral_string(other));
            lines.push(format!("($a.{first} = {word} or $b.{second} = {other})"));
        }
        lines.push("$a.principal.user.userid = $user".to_owned());
        lines.push("$b.principal.user.userid = $user".to_owned());
        let events = lines.join("\n    ");
        return format!(
            "rule r{index} {{\n  events:\n    {events}\n  match:\n    $user over 5m\n  condition:\n    $a and $b\n}}\n"
        );
    }
    let events = lines.join("\n    ");
    format!("rule r{index} {{\n  events:\n    {events}\n  condition:\n    $e\n}}\n")
}

/// Compiles a rule, or returns `None` when the front end or the engine rejects it.
fn compile(text: &str, context: &Context) -> Option<Rule> {
    let source = yaral::SourceFile::new("generated.yaral", text);
    let output = yaral::compile(&source, &yaral::CheckOptions::default());
    let compiled = output.compiled.into_iter().next()?;
    Rule::compile(&compiled.rule, &compiled.text, context).ok()
}

fn context() -> Context {
    let mut lists = enrich::ReferenceLists::new();
    let text = LIST_WORDS.join("\n") + "\n";
    let (list, problems) =
        enrich::ReferenceList::from_text("WORDS", enrich::ListKind::String, &text, "WORDS.txt");
    assert!(problems.is_empty(), "{problems:?}");
    lists.insert(list);
    Context { lists: Arc::new(lists), asn: None, ..Context::default() }
}

/// Returns a spelling of a word that a rule may or may not take: a case change, the Unicode
/// characters that fold to its letters, a prefix, a suffix or padding.
fn variant(random: &mut Random, word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    match random.below(10) {
        0 => word.to_uppercase(),
        1 => word.to_lowercase(),
        2 => chars
            .iter()
            .map(|&c| match c {
                'k' | 'K' => '\u{212a}',
                's' | 'S' => '\u{17f}',
                '\u{212a}' => 'k',
                '\u{17f}' => 'S',
                c if c.is_uppercase() => c.to_lowercase().next().unwrap_or(c),
                c => c.to_uppercase().next().unwrap_or(c),
            })
            .collect(),
        3 => {
            let cut = random.below(chars.len() + 1);
            chars[..cut].iter().collect()
        }
        4 => {
            let start = random.below(chars.len());
            chars[start..].iter().collect()
        }
        5 => format!("x{word}"),
        6 => format!("{word}7"),
        7 => format!("{word} {word}"),
        _ => word.to_owned(),
    }
}

/// The JSON escapes a line may use besides those `serde_json` writes. They are chosen per
/// line, because one `\u` escape anywhere makes the whole line pass the raw-text test.
#[derive(Clone, Copy, PartialEq)]
enum Escapes {
    Plain,
    Unicode,
    Slash,
}

/// Writes text as a JSON string: as `serde_json` does, but with `escapes` at times a `\u`
/// escape for one character or `\/` for every slash.
fn json_string(random: &mut Random, text: &str, escapes: Escapes) -> String {
    let plain = serde_json::to_string(text).unwrap_or_default();
    if escapes == Escapes::Plain || random.chance(2) {
        return plain;
    }
    match escapes {
        Escapes::Unicode if !text.is_empty() => {
            let at = random.below(text.chars().count());
            let mut out = String::from("\"");
            for (index, c) in text.chars().enumerate() {
                if index == at {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                } else {
                    let encoded = serde_json::to_string(&c.to_string()).unwrap_or_default();
                    out.push_str(encoded.get(1..encoded.len() - 1).unwrap_or_default());
                }
            }
            out.push('"');
            out
        }
        Escapes::Slash => plain.replace('/', "\\/"),
        _ => plain,
    }
}

/// A JSON object under construction: keys with values already written as JSON text.
#[derive(Default)]
struct Object(Vec<(String, Node)>);

enum Node {
    Object(Object),
    Text(String),
}

impl Object {
    fn insert(&mut self, path: &str, value: String) {
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        if rest.is_empty() {
            self.0.retain(|(key, _)| key != head);
            self.0.push((head.to_owned(), Node::Text(value)));
            return;
        }
        let at = match self
            .0
            .iter()
            .position(|(key, node)| key == head && matches!(node, Node::Object(_)))
        {
            Some(at) => at,
            None => {
                self.0.retain(|(key, _)| key != head);
                self.0.push((head.to_owned(), Node::Object(Object::default())));
                self.0.len() - 1
            }
        };
        if let Some((_, Node::Object(inner))) = self.0.get_mut(at) {
            inner.insert(rest, value);
        }
    }

    fn write(&self, out: &mut String) {
        out.push('{');
        for (index, (key, node)) in self.0.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key).unwrap_or_default());
            out.push(':');
            match node {
                Node::Object(inner) => inner.write(out),
                Node::Text(text) => out.push_str(text),
            }
        }
        out.push('}');
    }
}

fn event_type_number(name: &str) -> Option<i32> {
    let resolved = udm::schema::resolve(udm::schema::event(), &["metadata", "event_type"]).ok()?;
    let udm::schema::FieldKind::Enum(enum_type) = resolved.kind else { return None };
    enum_type.by_name(name).map(|value| value.number)
}

/// Builds a native UDM JSON line whose string values are spellings of `words`.
fn line(random: &mut Random, words: &[&str]) -> String {
    let mut root = Object::default();
    let time = format!("\"2025-06-10T10:00:{:02}Z\"", random.below(60));
    root.insert("metadata.event_timestamp", time);

    let event_type = *random.pick(EVENT_TYPES);
    let event_type = match event_type_number(event_type) {
        Some(number) if random.chance(3) => number.to_string(),
        _ => format!("\"{event_type}\""),
    };
    let key = if random.chance(2) { "metadata.event_type" } else { "metadata.eventType" };
    root.insert(key, event_type);

    let escapes = match random.below(6) {
        0 => Escapes::Unicode,
        1 => Escapes::Slash,
        _ => Escapes::Plain,
    };
    let value = |random: &mut Random| {
        let word = if random.chance(8) { "other" } else { *random.pick(words) };
        let text = variant(random, word);
        json_string(random, &text, escapes)
    };
    for &(snake, camel) in SINGLE_FIELDS {
        if random.chance(3) {
            continue;
        }
        let key = if random.chance(2) { snake } else { camel };
        let text = value(random);
        root.insert(key, text);
    }
    for &(snake, camel) in REPEATED_FIELDS {
        if random.chance(3) {
            continue;
        }
        let key = if random.chance(2) { snake } else { camel };
        let items: Vec<String> = (0..random.below(4)).map(|_| value(random)).collect();
        root.insert(key, format!("[{}]", items.join(",")));
    }
    let mut out = String::new();
    root.write(&mut out);
    out
}

/// Returns the words that occur in the rules' texts, so that lines often contain what the
/// rules require.
fn rule_words(texts: &[String]) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = WORDS
        .iter()
        .chain(LIST_WORDS)
        .copied()
        .filter(|word| texts.iter().any(|text| text.contains(&regex_text(word))))
        .collect();
    if words.is_empty() {
        words.extend_from_slice(WORDS);
    }
    words
}

#[test]
fn raw_filter_passes_every_wanted_line() {
    let context = context();
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let (mut rule_sets, mut filtered_sets, mut lines, mut wanted, mut skipped) = (0, 0, 0, 0, 0);
    let mut rejected = 0;
    for set in 0..600 {
        let texts: Vec<String> =
            (0..1 + random.below(3)).map(|i| rule_text(&mut random, set * 4 + i)).collect();
        let rules: Option<Vec<Rule>> = texts.iter().map(|text| compile(text, &context)).collect();
        let Some(rules) = rules else {
            rejected += 1;
            continue;
        };
        rule_sets += 1;
        let prefilter = Prefilter::new(&rules);
        let Some(raw) = prefilter.raw_filter() else { continue };
        filtered_sets += 1;
        let words = rule_words(&texts);
        for _ in 0..40 {
            let text = line(&mut random, &words);
            let Some(event) = udm::json::event_from_slice(text.as_bytes()) else {
                panic!("the generated line does not read as UDM: {text}");
            };
            lines += 1;
            let passes = raw.may_match(text.as_bytes());
            skipped += usize::from(!passes);
            if prefilter.wants(&Arc::new(event)) {
                wanted += 1;
                assert!(passes, "a wanted line is skipped:\n{}\n{text}", texts.join("\n"));
            }
        }
    }
    // The generator must reach the cases it is for: rules with a raw filter, and lines that
    // the rules want, and lines that the filter skips.
    assert!(rejected < 60, "{rejected} of 600 generated rule sets rejected");
    assert!(filtered_sets > rule_sets / 4, "{filtered_sets} of {rule_sets} rule sets filtered");
    assert!(wanted > lines / 50, "{wanted} of {lines} lines wanted");
    assert!(skipped > lines / 10, "{skipped} of {lines} lines skipped");
}
