//! The dependency graph between groups (SPEC §3.2, §4.4): a group depends on the groups it
//! includes and on the groups its rule names with `MEMBER OF`.
//!
//! Groups are evaluated one strongly connected component at a time, dependencies first. A
//! `MEMBER OF` edge inside a component lies on a cycle, and its rule matches nobody; include
//! edges inside a component pass members around (a least fixpoint, computed by
//! [`super::membership`] without iterating).
//!
//! INVARIANT: `comps` lists every group slot once, each component after every component its
//! edges reach; `comp_of` is its inverse.

use crate::ids::{GroupIx, Ix};
use crate::sets::Bits;

use super::store::Lists;

/// The groups' dependency structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Components, dependencies first.
    pub comps: Vec<Vec<GroupIx>>,
    /// Each group's component.
    pub comp_of: Vec<u32>,
    /// Groups whose rule holds a `MEMBER OF` edge on a cycle.
    pub member_of_cycle: Bits,
    /// The components that hold an include cycle, each sorted by slot.
    pub include_cycles: Vec<Vec<GroupIx>>,
    /// Per group, the groups that depend on it.
    pub dependents: Lists<GroupIx>,
}

impl Graph {
    /// The graph of `n` groups with include edges `includes` and `MEMBER OF` edges
    /// `member_of` (both by group slot; only groups that exist).
    pub fn build(includes: &[Vec<GroupIx>], member_of: &[Vec<GroupIx>]) -> Graph {
        let n = includes.len().max(member_of.len());
        let edges: Vec<Vec<u32>> = (0..n)
            .map(|g| {
                let mut e: Vec<u32> = includes
                    .get(g)
                    .into_iter()
                    .flatten()
                    .chain(member_of.get(g).into_iter().flatten())
                    .map(|x| x.get())
                    .collect();
                e.sort_unstable();
                e.dedup();
                e
            })
            .collect();
        let comps = components(&edges);
        let mut comp_of = vec![0u32; n];
        for (c, comp) in comps.iter().enumerate() {
            for &g in comp {
                if let Some(slot) = comp_of.get_mut(g as usize) {
                    *slot = u32::try_from(c).unwrap_or(u32::MAX);
                }
            }
        }
        let mut member_of_cycle = Bits::empty(n);
        for (g, targets) in member_of.iter().enumerate() {
            let own = comp_of.get(g);
            if targets.iter().any(|t| comp_of.get(t.index()) == own) {
                member_of_cycle.insert(u32::try_from(g).unwrap_or(u32::MAX));
            }
        }
        // Include cycles: components of the include edges alone.
        let include_edges: Vec<Vec<u32>> = includes
            .iter()
            .map(|e| {
                let mut e: Vec<u32> = e.iter().map(|x| x.get()).collect();
                e.sort_unstable();
                e.dedup();
                e
            })
            .collect();
        let include_cycles = components(&include_edges)
            .into_iter()
            .filter(|comp| {
                comp.len() > 1
                    || comp.first().is_some_and(|&g| {
                        include_edges
                            .get(g as usize)
                            .is_some_and(|e| e.contains(&g))
                    })
            })
            .map(|comp| comp.into_iter().map(GroupIx::new).collect())
            .collect();
        let mut reverse: Vec<Vec<GroupIx>> = vec![Vec::new(); n];
        for (g, e) in edges.iter().enumerate() {
            for &t in e {
                if let (Some(list), Some(g)) = (reverse.get_mut(t as usize), GroupIx::from_usize(g))
                {
                    list.push(g);
                }
            }
        }
        Graph {
            comps: comps
                .into_iter()
                .map(|c| c.into_iter().map(GroupIx::new).collect())
                .collect(),
            comp_of,
            member_of_cycle,
            include_cycles,
            dependents: Lists::from_rows(reverse),
        }
    }

    /// Whether `g`'s rule holds a `MEMBER OF` edge on a dependency cycle (it matches nobody).
    pub fn rule_on_cycle(&self, g: GroupIx) -> bool {
        self.member_of_cycle.contains(g.get())
    }

    /// The component of `g`.
    pub fn comp(&self, g: GroupIx) -> u32 {
        self.comp_of.get(g.index()).copied().unwrap_or(u32::MAX)
    }
}

/// Strongly connected components of a graph over `0..n` (Tarjan, iterative so that deep
/// chains cannot exhaust the stack). Components come out dependencies first: a component is
/// emitted after every component its edges reach. Each component is sorted.
pub fn components(edges: &[Vec<u32>]) -> Vec<Vec<u32>> {
    const UNSEEN: u32 = u32::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut counter = 0u32;
    let mut calls: Vec<(u32, usize)> = Vec::new();
    #[allow(clippy::too_many_arguments)]
    fn visit(
        v: u32,
        index: &mut [u32],
        low: &mut [u32],
        on_stack: &mut [bool],
        counter: &mut u32,
        stack: &mut Vec<u32>,
        calls: &mut Vec<(u32, usize)>,
    ) {
        let vs = v as usize;
        if let (Some(i), Some(l), Some(s)) =
            (index.get_mut(vs), low.get_mut(vs), on_stack.get_mut(vs))
        {
            *i = *counter;
            *l = *counter;
            *s = true;
        }
        *counter += 1;
        stack.push(v);
        calls.push((v, 0));
    }
    for root in 0..n {
        if index.get(root) != Some(&UNSEEN) {
            continue;
        }
        let root = u32::try_from(root).unwrap_or(UNSEEN);
        visit(
            root,
            &mut index,
            &mut low,
            &mut on_stack,
            &mut counter,
            &mut stack,
            &mut calls,
        );
        while let Some(&mut (v, ref mut next)) = calls.last_mut() {
            let vs = v as usize;
            if let Some(&w) = edges.get(vs).and_then(|e| e.get(*next)) {
                *next += 1;
                let ws = w as usize;
                if index.get(ws) == Some(&UNSEEN) {
                    visit(
                        w,
                        &mut index,
                        &mut low,
                        &mut on_stack,
                        &mut counter,
                        &mut stack,
                        &mut calls,
                    );
                } else if on_stack.get(ws) == Some(&true) {
                    let wi = index.get(ws).copied().unwrap_or(UNSEEN);
                    if let Some(l) = low.get_mut(vs) {
                        *l = (*l).min(wi);
                    }
                }
                continue;
            }
            calls.pop();
            let v_low = low.get(vs).copied().unwrap_or(0);
            if let Some(&(parent, _)) = calls.last() {
                if let Some(l) = low.get_mut(parent as usize) {
                    *l = (*l).min(v_low);
                }
            }
            if Some(&v_low) == index.get(vs) {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    if let Some(s) = on_stack.get_mut(w as usize) {
                        *s = false;
                    }
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_come_dependencies_first() {
        // 0 → 1 → 2 → 1, 3 → 0, 4 alone with a self-loop.
        let edges = vec![vec![1], vec![2], vec![1], vec![0], vec![4]];
        let comps = components(&edges);
        assert_eq!(comps, vec![vec![1, 2], vec![0], vec![3], vec![4]]);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let n = 200_000u32;
        let edges: Vec<Vec<u32>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![0] })
            .collect();
        let comps = components(&edges);
        assert_eq!(comps.len(), 1);
        assert_eq!(comps.first().map(Vec::len), Some(n as usize));
    }

    #[test]
    fn member_of_on_a_cycle_is_flagged() {
        let g = GroupIx::new;
        // 0 includes 1; 1's rule names 0: a cycle through a MEMBER OF edge. 2 names 0 only.
        let includes = vec![vec![g(1)], vec![], vec![]];
        let member_of = vec![vec![], vec![g(0)], vec![g(0)]];
        let graph = Graph::build(&includes, &member_of);
        assert!(graph.rule_on_cycle(g(1)));
        assert!(!graph.rule_on_cycle(g(2)));
        assert!(graph.include_cycles.is_empty());
        assert_eq!(graph.dependents.get(0), &[g(1), g(2)]);
    }
}
