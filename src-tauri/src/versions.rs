//! Answer versions: which messages of a conversation's tree are shown, and the versions of a
//! turn (docs/VERSIONS.md). A chat's messages form a tree by `parent_id`: siblings (the same
//! parent) are versions of one another. The conversation shown is the path from the root that
//! takes, at each level, the sibling chosen last (greatest `chosen_at`; ties: greatest id).
//! Under an answer, the versions of its turn are the (user message, answer) pairs under the
//! parent of its user message — a regenerated answer and an edited message alike — in the order
//! the answers were made. Pure functions over the tree's shape; `store.rs` reads and writes it.

use std::collections::HashMap;

use runnel_core::Role;

use crate::ipc_types::Versions;

/// One message's place in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// Its id (a parent's id is always smaller than its children's).
    pub id: i64,
    /// The message it follows; `None` for a conversation's first message.
    pub parent: Option<i64>,
    /// Who wrote it.
    pub role: Role,
    /// When it was last chosen (made or switched to), unix ms.
    pub chosen_at: i64,
}

/// A conversation's messages as a tree.
#[derive(Debug, Default)]
pub struct Tree {
    nodes: HashMap<i64, Node>,
    /// Children by parent (`None`: the roots), in id order.
    children: HashMap<Option<i64>, Vec<i64>>,
}

impl Tree {
    /// The tree of `nodes` (any order).
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Self {
        let mut tree = Self::default();
        for node in nodes {
            tree.children.entry(node.parent).or_default().push(node.id);
            tree.nodes.insert(node.id, node);
        }
        tree.children.values_mut().for_each(|ids| ids.sort_unstable());
        tree
    }

    /// The children of `parent` (`None`: the roots), oldest first.
    fn children(&self, parent: Option<i64>) -> &[i64] {
        self.children.get(&parent).map_or(&[], Vec::as_slice)
    }

    /// The ids of the conversation shown, root first: at each level the child chosen last.
    pub fn shown_path(&self) -> Vec<i64> {
        let mut path = Vec::new();
        let mut parent = None;
        // Ids grow from parent to child, so the walk ends; the bound guards a damaged file.
        while path.len() < self.nodes.len() {
            let chosen = self
                .children(parent)
                .iter()
                .max_by_key(|id| (self.nodes[id].chosen_at, **id));
            let Some(&id) = chosen else { break };
            path.push(id);
            parent = Some(id);
        }
        path
    }

    /// The ids from the root down to `id`, `id` last (empty when it is not in the tree).
    pub fn path_to(&self, id: i64) -> Vec<i64> {
        let mut path = Vec::new();
        let mut at = self.nodes.get(&id);
        while let Some(node) = at {
            if path.len() >= self.nodes.len() {
                break;
            }
            path.push(node.id);
            at = node.parent.and_then(|parent| self.nodes.get(&parent));
        }
        path.reverse();
        path
    }

    /// The versions of answer `id`'s turn: the answers to its user message and to that message's
    /// siblings (its edits), oldest first, and which one `id` is. An answer that follows no user
    /// message has only its own siblings. `None` when `id` is not an answer of the tree.
    pub fn versions(&self, id: i64) -> Option<Versions> {
        let answer = self.nodes.get(&id).filter(|node| node.role == Role::Assistant)?;
        let user = answer
            .parent
            .and_then(|parent| self.nodes.get(&parent))
            .filter(|node| node.role == Role::User);
        let mut answers: Vec<i64> = match user {
            Some(user) => self
                .children(user.parent)
                .iter()
                .filter(|sibling| self.nodes[sibling].role == Role::User)
                .flat_map(|sibling| self.answers_to(*sibling))
                .collect(),
            None => self.answers_to_parent(answer.parent).collect(),
        };
        answers.sort_unstable();
        let index = answers.iter().position(|answer| *answer == id)?;
        Some(Versions {
            index: index as u32 + 1,
            answers,
        })
    }

    fn answers_to(&self, user: i64) -> impl Iterator<Item = i64> + '_ {
        self.answers_to_parent(Some(user))
    }

    fn answers_to_parent(&self, parent: Option<i64>) -> impl Iterator<Item = i64> + '_ {
        self.children(parent)
            .iter()
            .copied()
            .filter(|child| self.nodes[child].role == Role::Assistant)
    }

    /// The messages to mark chosen to show version `id`: the answer, and its user message when
    /// that is one of several versions of the turn (an edit).
    pub fn to_choose(&self, id: i64) -> Vec<i64> {
        let Some(node) = self.nodes.get(&id) else {
            return Vec::new();
        };
        match node.parent.and_then(|parent| self.nodes.get(&parent)) {
            Some(parent) if node.role == Role::Assistant && parent.role == Role::User => vec![parent.id, id],
            _ => vec![id],
        }
    }

    /// Whether `id` has no children.
    pub fn is_leaf(&self, id: i64) -> bool {
        self.children(Some(id)).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, parent: Option<i64>, role: Role, chosen_at: i64) -> Node {
        Node {
            id,
            parent,
            role,
            chosen_at,
        }
    }

    const U: Role = Role::User;
    const A: Role = Role::Assistant;

    /// 1 "hi" → 2 answer, 3 regenerated answer; 4 the edit of 1 → 5 its answer; 6 a next turn
    /// after 2.
    fn tree(chosen: [i64; 6]) -> Tree {
        Tree::new([
            node(1, None, U, chosen[0]),
            node(2, Some(1), A, chosen[1]),
            node(3, Some(1), A, chosen[2]),
            node(4, None, U, chosen[3]),
            node(5, Some(4), A, chosen[4]),
            node(6, Some(2), U, chosen[5]),
        ])
    }

    #[test]
    fn the_path_takes_the_child_chosen_last_at_each_level() {
        assert_eq!(tree([1, 2, 3, 4, 5, 6]).shown_path(), [4, 5]);
        assert_eq!(tree([9, 8, 3, 4, 5, 6]).shown_path(), [1, 2, 6]);
        assert_eq!(tree([9, 1, 3, 4, 5, 6]).shown_path(), [1, 3]);
        // Ties go to the newest.
        assert_eq!(tree([5, 5, 5, 5, 5, 5]).shown_path(), [4, 5]);
        assert!(Tree::new([]).shown_path().is_empty());
    }

    #[test]
    fn a_turns_versions_are_its_answers_and_its_edits_answers_in_order() {
        let tree = tree([1, 2, 3, 4, 5, 6]);
        let versions = |id| tree.versions(id).map(|v| (v.index, v.answers));
        assert_eq!(versions(2), Some((1, vec![2, 3, 5])));
        assert_eq!(versions(3), Some((2, vec![2, 3, 5])));
        assert_eq!(versions(5), Some((3, vec![2, 3, 5])));
        assert_eq!(versions(1), None, "a user message is no answer");
        assert_eq!(versions(42), None);
    }

    #[test]
    fn an_answer_after_an_answer_has_its_own_siblings_only() {
        // A backfilled history: a failed answer kept after the one it was to replace.
        let tree = Tree::new([node(1, None, U, 1), node(2, Some(1), A, 2), node(3, Some(2), A, 3)]);
        assert_eq!(tree.shown_path(), [1, 2, 3]);
        assert_eq!(tree.versions(3).unwrap().answers, [3]);
        assert_eq!(tree.versions(2).unwrap().answers, [2]);
    }

    #[test]
    fn choosing_an_edits_answer_chooses_its_user_message_too() {
        let tree = tree([1, 2, 3, 4, 5, 6]);
        assert_eq!(tree.to_choose(2), [1, 2]);
        assert_eq!(tree.to_choose(6), [6]);
        assert!(tree.to_choose(42).is_empty());
    }

    #[test]
    fn the_path_to_a_message_is_its_ancestors() {
        let tree = tree([1, 2, 3, 4, 5, 6]);
        assert_eq!(tree.path_to(6), [1, 2, 6]);
        assert_eq!(tree.path_to(4), [4]);
        assert!(tree.path_to(42).is_empty());
        assert!(tree.is_leaf(6) && !tree.is_leaf(2));
    }
}
