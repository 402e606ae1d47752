//! Reading event fields: path steps, repeated-field copies and whole-list reads.
//!
//! An unmodified predicate on a repeated field sees the event as one copy per element, and all
//! unmodified predicates of a rule must hold on the same copy. The engine builds, per event
//! variable, a trie of every unmodified path the rule reads, and expands an event into copies
//! by walking that trie: at each repeated level it branches once per element, and paths under
//! one element stay together, so `about.ip` and `about.hostname` come from the same `about`.
//! Unrelated repeated fields (`principal.ip` and `target.ip`) multiply, a cartesian product,
//! because Google's documentation describes no other expansion.

use udm::{Event, Message, Value};

use crate::plan::ir::Seg;

/// The value read for a missing field.
pub(crate) static NULL: Value = Value::Null;

/// Copies beyond this number are not produced for one event.
///
/// NOTE: a cap keeps an event with several long repeated fields from multiplying without
/// bound. Copies past it are dropped, so a match on a late element of such an event is missed.
pub(crate) const MAX_COPIES: usize = 4096;

/// The paths one event variable reads, merged into a trie.
#[derive(Debug, Default, Clone)]
pub(crate) struct SlotTrie {
    /// The slot filled with the value at this node, if a path ends here.
    slot: Option<usize>,
    children: Vec<(Seg, SlotTrie)>,
}

impl SlotTrie {
    /// Adds a path that fills `slot`.
    pub(crate) fn insert(&mut self, path: &[Seg], slot: usize) {
        match path.split_first() {
            None => self.slot = Some(slot),
            Some((first, rest)) => {
                let at = match self.children.iter().position(|(s, _)| s == first) {
                    Some(at) => at,
                    None => {
                        self.children.push((first.clone(), SlotTrie::default()));
                        self.children.len() - 1
                    }
                };
                if let Some((_, child)) = self.children.get_mut(at) {
                    child.insert(rest, slot);
                }
            }
        }
    }

    /// The path of every slot, from the event root.
    pub(crate) fn slot_paths(&self) -> Vec<(usize, Vec<Seg>)> {
        fn walk(node: &SlotTrie, prefix: &mut Vec<Seg>, out: &mut Vec<(usize, Vec<Seg>)>) {
            if let Some(slot) = node.slot {
                out.push((slot, prefix.clone()));
            }
            for (seg, child) in &node.children {
                prefix.push(seg.clone());
                walk(child, prefix, out);
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        walk(self, &mut Vec::new(), &mut out);
        out
    }

    /// Expands an event into its copies: each copy lists the value of every slot.
    pub(crate) fn expand<'e>(&self, event: &'e Event, slots: usize) -> Copies<'e> {
        // When no path the rule reads crosses a list in this event, there is exactly one copy
        // and each slot is one field read; most events of most rules take this path.
        let mut single = vec![&NULL; slots];
        if read_scalars(Some(&event.root), &self.children, &mut single) {
            return Copies { values: single, slots, count: 1 };
        }
        let mut values = Vec::new();
        let mut count = 0;
        let mut partial = vec![&NULL; slots];
        expand_message(&event.root, &self.children, &mut partial, &mut |copy| {
            if count < MAX_COPIES {
                values.extend_from_slice(copy);
                count += 1;
            }
        });
        if count == 0 {
            values.resize(slots, &NULL);
            count = 1;
        }
        Copies { values, slots, count }
    }
}

/// The copies of an event: the slot values of each copy, one copy after the other.
pub(crate) struct Copies<'e> {
    values: Vec<&'e Value>,
    slots: usize,
    count: usize,
}

impl<'e> Copies<'e> {
    /// Returns the slot values of each copy, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[&'e Value]> {
        (0..self.count).map(|copy| {
            self.values.get(copy * self.slots..(copy + 1) * self.slots).unwrap_or_default()
        })
    }
}

/// Reads the slots of the trie nodes `children` into `slots`, as [`read_scalar`] reads each
/// slot's path, but reading each shared prefix of the paths once. `message` is the message
/// the nodes' fields belong to: the event root, or the value their parent node read when it
/// is a message (`None` when it is another value). Returns false where [`read_scalar`]
/// returns `None` for some slot.
fn read_scalars<'e>(
    message: Option<&'e Message>,
    children: &[(Seg, SlotTrie)],
    slots: &mut [&'e Value],
) -> bool {
    for (seg, child) in children {
        let Seg::Field(name) = seg else { return false };
        // A missing field, or a field under a value that is no message, reads as `Null` in
        // every slot below it, as the slots start.
        let Some(value) = message.and_then(|m| m.get(name)) else { continue };
        let Some(value) = single(value) else { return false };
        if let Some(cell) = child.slot.and_then(|slot| slots.get_mut(slot)) {
            *cell = value;
        }
        let inner = value.as_message();
        if !child.children.is_empty() && !read_scalars(inner, &child.children, slots) {
            return false;
        }
    }
    true
}

/// Reads the value at a path where every repeated field has at most one element: the value
/// every copy of the event has in that slot. A missing field, or an empty list on the way,
/// reads as `Null`, and a one-element list as its element, as the expansion into copies
/// reads them. Returns `None` when the path meets a list of two or more elements, where
/// copies differ.
pub(crate) fn read_scalar<'e>(event: &'e Event, path: &[Seg]) -> Option<&'e Value> {
    let mut current: Option<&'e Value> = None;
    for seg in path {
        let Seg::Field(name) = seg else { return None };
        let next = match current {
            None => event.root.get(name),
            Some(value) => match single(value)? {
                Value::Message(m) => m.get(name),
                _ => None,
            },
        };
        match next {
            Some(value) => current = Some(value),
            None => return Some(&NULL),
        }
    }
    match current {
        Some(value) => single(value),
        None => Some(&NULL),
    }
}

/// The only element of a list of at most one (`Null` for an empty one), or the value itself
/// when it is no list; `None` for a longer list.
fn single(value: &Value) -> Option<&Value> {
    match value {
        Value::List(items) => match items.as_slice() {
            [] => Some(&NULL),
            [only] => Some(only),
            _ => None,
        },
        other => Some(other),
    }
}

/// Steps one segment from a value; `None` when the step finds nothing.
pub(crate) fn step<'e>(value: &'e Value, seg: &Seg) -> Option<&'e Value> {
    match (value, seg) {
        (Value::Message(m), Seg::Field(name)) => m.get(name),
        (Value::Message(m), Seg::Key(key)) => m.get(key),
        (Value::List(items), Seg::Index(i)) => items.get(*i as usize),
        (Value::List(items), Seg::Key(key)) => label_value(items, key),
        _ => None,
    }
}

/// Finds `value` of the first `{key, value}` label whose key matches.
fn label_value<'e>(items: &'e [Value], key: &str) -> Option<&'e Value> {
    items.iter().find_map(|item| {
        let m = item.as_message()?;
        if m.get("key").and_then(Value::as_str) == Some(key) {
            Some(m.get("value").unwrap_or(&NULL))
        } else {
            None
        }
    })
}

fn expand_message<'e>(
    message: &'e Message,
    children: &[(Seg, SlotTrie)],
    partial: &mut Vec<&'e Value>,
    emit: &mut dyn FnMut(&[&'e Value]),
) {
    let value_children: Vec<(Option<&'e Value>, &SlotTrie)> = children
        .iter()
        .map(|(seg, child)| {
            let value = match seg {
                Seg::Field(name) | Seg::Key(name) => message.get(name),
                Seg::Index(_) => None,
            };
            (value, child)
        })
        .collect();
    expand_siblings(&value_children, partial, emit);
}

/// Expands a list of sibling nodes, each with its value: the cartesian product of their copies.
fn expand_siblings<'e>(
    siblings: &[(Option<&'e Value>, &SlotTrie)],
    partial: &mut Vec<&'e Value>,
    emit: &mut dyn FnMut(&[&'e Value]),
) {
    let Some(((value, node), rest)) = siblings.split_first() else {
        emit(partial);
        return;
    };
    expand_node(*value, node, partial, &mut |p| {
        // The partial copy is rebuilt per branch, so the continuation works on its own clone.
        let mut owned = p.to_vec();
        expand_siblings(rest, &mut owned, emit);
    });
}

/// Expands one trie node given the value found at its path.
fn expand_node<'e>(
    value: Option<&'e Value>,
    node: &SlotTrie,
    partial: &mut Vec<&'e Value>,
    emit: &mut dyn FnMut(&[&'e Value]),
) {
    let value = value.unwrap_or(&NULL);
    // Indexed and keyed children read the whole list, so they are constant across the
    // element copies of this level.
    let (fixed, per_element): (Vec<_>, Vec<_>) =
        node.children.iter().partition(|(seg, _)| !matches!(seg, Seg::Field(_)));
    let elements: Vec<&'e Value> = match value {
        Value::List(items) if node.slot.is_some() || !per_element.is_empty() => {
            if items.is_empty() {
                vec![&NULL]
            } else {
                items.iter().collect()
            }
        }
        other => vec![other],
    };
    for element in elements {
        if let Some(cell) = node.slot.and_then(|slot| partial.get_mut(slot)) {
            *cell = element;
        }
        let mut siblings: Vec<(Option<&'e Value>, &SlotTrie)> =
            fixed.iter().map(|(seg, child)| (step(value, seg), child)).collect();
        siblings.extend(per_element.iter().map(|(seg, child)| (step(element, seg), child)));
        expand_siblings(&siblings, partial, emit);
    }
}

/// Reads every value at a path, flattening all repeated levels, for `any`/`all` and for the
/// array functions.
pub(crate) fn collect_all(event: &Event, path: &[Seg]) -> Vec<Value> {
    let mut out = Vec::new();
    collect_from_message(&event.root, path, &mut out);
    out
}

/// Reads the first value at a path, in document order across every repeated level.
pub(crate) fn first_value<'e>(event: &'e Event, path: &[Seg]) -> Option<&'e Value> {
    let (first, rest) = path.split_first()?;
    let next = match first {
        Seg::Field(name) | Seg::Key(name) => event.root.get(name)?,
        Seg::Index(_) => return None,
    };
    first_in_value(next, rest)
}

fn first_in_value<'e>(value: &'e Value, path: &[Seg]) -> Option<&'e Value> {
    match (path.first(), value) {
        (None, Value::List(items)) => items.first(),
        (None, other) => Some(other),
        (Some(Seg::Index(i)), Value::List(items)) => {
            first_in_value(items.get(*i as usize)?, &path[1..])
        }
        (Some(Seg::Key(key)), Value::List(items)) => {
            first_in_value(label_value(items, key)?, &path[1..])
        }
        (Some(_), Value::List(items)) => items.iter().find_map(|item| first_in_value(item, path)),
        (Some(Seg::Field(name) | Seg::Key(name)), Value::Message(m)) => {
            first_in_value(m.get(name)?, &path[1..])
        }
        _ => None,
    }
}

fn collect_from_message(message: &Message, path: &[Seg], out: &mut Vec<Value>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let next = match first {
        Seg::Field(name) | Seg::Key(name) => message.get(name),
        Seg::Index(_) => None,
    };
    if let Some(value) = next {
        collect_from_value(value, rest, out);
    }
}

fn collect_from_value(value: &Value, path: &[Seg], out: &mut Vec<Value>) {
    if let Some(Seg::Index(i)) = path.first() {
        if let Some(element) = value.as_list().and_then(|l| l.get(*i as usize)) {
            collect_from_value(element, &path[1..], out);
        }
        return;
    }
    if let (Some(Seg::Key(key)), Value::List(items)) = (path.first(), value) {
        if let Some(found) = label_value(items, key) {
            collect_from_value(found, &path[1..], out);
        }
        return;
    }
    match value {
        Value::List(items) => {
            for item in items {
                collect_from_value(item, path, out);
            }
        }
        _ if path.is_empty() => out.push(value.clone()),
        Value::Message(m) => collect_from_message(m, path, out),
        _ => {}
    }
}
