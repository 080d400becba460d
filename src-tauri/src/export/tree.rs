//! The shown path of an exported conversation's tree: from the first message, at each turn the
//! version shown — among siblings (the same parent) the greatest `chosen_at`, ties the greatest
//! id — as the app shows it.

use super::document::MessageRecord;

/// One message of the shown path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Its index in the document's messages.
    pub index: usize,
    /// Which version it is among its siblings, from 1 (in the order they were written).
    pub version: usize,
    /// How many versions the turn has.
    pub versions: usize,
}

/// The indexes of the messages whose parent is `parent`, in id order.
pub fn children(messages: &[MessageRecord], parent: Option<u64>) -> Vec<usize> {
    let mut found: Vec<usize> = (0..messages.len())
        .filter(|&index| messages[index].parent == parent)
        .collect();
    found.sort_by_key(|&index| messages[index].id);
    found
}

/// The shown one of `siblings` (indexes in id order): as a step, with its version.
fn shown(messages: &[MessageRecord], siblings: &[usize]) -> Option<Step> {
    let (position, &index) = siblings
        .iter()
        .enumerate()
        .max_by_key(|(_, index)| (messages[**index].chosen_at, messages[**index].id))?;
    Some(Step {
        index,
        version: position + 1,
        versions: siblings.len(),
    })
}

/// The path the app shows: the shown first message, then at each turn the shown child. Each
/// message is visited at most once, so a malformed tree cannot loop.
pub fn shown_path(messages: &[MessageRecord]) -> Vec<Step> {
    let mut path = Vec::new();
    let mut parent = None;
    while path.len() < messages.len() {
        let Some(step) = shown(messages, &children(messages, parent)) else {
            break;
        };
        path.push(step);
        parent = Some(messages[step.index].id);
    }
    path
}

#[cfg(test)]
pub(crate) mod tests {
    use runnel_core::Role;

    use super::*;
    use crate::ipc_types::MessageState;

    /// A message `id` after `parent`, chosen at `chosen_at`.
    pub fn record(id: u64, parent: Option<u64>, role: Role, content: &str, chosen_at: i64) -> MessageRecord {
        MessageRecord {
            id,
            parent,
            role,
            content: content.into(),
            thinking: String::new(),
            model: (role == Role::Assistant).then(|| "demo/m".to_owned()),
            state: MessageState::Done,
            error: None,
            stats: None,
            created_at: chosen_at,
            chosen_at,
        }
    }

    #[test]
    fn the_shown_version_is_the_last_chosen_and_ties_go_to_the_newest() {
        let messages = [
            record(1, None, Role::User, "q", 1),
            record(2, Some(1), Role::Assistant, "first", 2),
            record(3, Some(1), Role::Assistant, "second", 9),
            record(4, Some(1), Role::Assistant, "third", 5),
            record(5, Some(3), Role::User, "more", 10),
            record(6, Some(5), Role::Assistant, "a", 11),
            record(7, Some(5), Role::Assistant, "b", 11),
        ];
        let path: Vec<(u64, usize, usize)> = shown_path(&messages)
            .iter()
            .map(|step| (messages[step.index].id, step.version, step.versions))
            .collect();
        assert_eq!(path, [(1, 1, 1), (3, 2, 3), (5, 1, 1), (7, 2, 2)]);
    }

    #[test]
    fn a_cycle_ends_the_path() {
        let messages = [
            record(1, Some(2), Role::User, "q", 1),
            record(2, Some(1), Role::Assistant, "a", 2),
        ];
        assert!(shown_path(&messages).is_empty(), "no first message");
    }
}
