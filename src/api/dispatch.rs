//! The dispatch of a read [`Query`] to the domain module that answers it, and to the writer
//! of its answer in [`super::answer`]. What a query asks of the tenant is decided here: an id
//! the tenant does not know, a rule too costly to preview, a change list that does not apply.

use crate::access;
use crate::error::{Error, ErrorCode};
use crate::json;
use crate::listing;
use crate::model::{Tenant, TooCostly};
use crate::rules::{format_rule, parse_rule};

use super::answer::{self, Out};
use super::query::{apply_refused, DefinitionKind, Next, Query, Standalone};
use super::{changed, Engine, LoadOptions, VERSION};

/// Answers a query against a tenant.
pub fn answer(t: &Tenant, w: &mut Out, query: Query<'_>) -> Result<(), Error> {
    match query {
        Query::Check { user, product } => answer::check(t, w, &access::check(t, user, product)),
        Query::CheckBatch(pairs) => answer::check_batch(t, w, &pairs),
        Query::HasPermission { user, permission } => {
            answer::has_permission(t, w, &access::has_permission(t, user, permission));
        }
        Query::UserAccess { user } => answer::user_access(t, w, known_user(t, user)?),
        Query::Homepage { user } => {
            let u = known_user(t, user)?;
            w.obj();
            answer::homepage_fields(t, w, u);
            w.end_obj();
        }
        Query::Members {
            group,
            kind,
            search,
            page,
        } => {
            let g = known_group(t, group)?;
            let (total, rows) = listing::members(t, g, kind, search, page);
            answer::members(t, w, g, total, &rows);
        }
        Query::Explain { user, group } => {
            let u = known_user(t, user)?;
            let g = known_group(t, group)?;
            answer::explain(t, w, g, u);
        }
        Query::PreviewRule { rule, limit } => {
            let users = t
                .matching_users_within(&rule, t.rule_budget())
                .map_err(|TooCostly| {
                    Error::new(
                        ErrorCode::LimitExceeded,
                        format!(
                            "the rule is too costly: it would look at more than {} values and users (conditions that must read every value, such as LIKE or ENDS WITH on a field whose values are all distinct, cost the whole field each; use =, IN or STARTS WITH, or fewer conditions)",
                            t.rule_budget()
                        ),
                    )
                    .at("$.rule")
                })?;
            let (count, first) = listing::first_by_name(t, &users, limit);
            answer::preview(t, w, count, &first, &t.unknown_fields(&rule));
        }
        Query::WhoCanAccess { product, page } => {
            let p = t.product(product).ok_or_else(|| {
                Error::new(
                    ErrorCode::UnknownProduct,
                    format!("unknown product `{product}`"),
                )
                .at("$.product")
            })?;
            let allowed = access::who_can_access(t, p);
            let count = allowed.len();
            answer::who_can_access(t, w, p, count, &page.of(allowed));
        }
        Query::EditDashboard { group } => answer::edit_dashboard(t, w, known_group(t, group)?),
        Query::Diagnostics => answer::diagnostics(t, w),
        Query::ListGroups(query) => {
            let (total, rows) = listing::list_groups(t, &query);
            answer::list_groups(t, w, &query, total, &rows);
        }
        Query::Impact { of, limit } => {
            let impact = match of {
                Next::Changes(changes) => {
                    let (next, delta) = changed(t, changes)?;
                    crate::impact::of_changes(t, &next, &delta, limit)
                }
                Next::Snapshot(next) => {
                    let snapshot = Engine::from_value(next, LoadOptions::default())
                        .map_err(|e| e.under("$.next"))?;
                    crate::impact::of_snapshots(t, &snapshot.tenant, limit)
                }
            };
            answer::impact(w, &impact);
        }
        // Only an engine that applies changes reads an `apply`, and it applies it itself.
        Query::Apply { .. } => return Err(apply_refused()),
        Query::Definition { kind, id } => answer::definition(t, w, definition(t, kind, id)?),
        Query::Snapshot => answer::snapshot(t, w),
        Query::Lint => answer::lint(t, w, &crate::lint::lint(t)),
        Query::Suggest {
            text,
            cursor,
            limit,
        } => answer::suggest(w, &crate::suggest::suggest(t, text, cursor), limit),
        Query::Standalone(query) => answer_standalone(w, query)?,
    }
    Ok(())
}

/// The item a `definition` names, which the snapshot must define.
fn definition(t: &Tenant, kind: DefinitionKind, id: &str) -> Result<answer::Item, Error> {
    let unknown = |code: ErrorCode| {
        Error::new(code, format!("unknown {} `{id}`", kind.key()))
            .at(json::path_key("$", kind.key()))
    };
    Ok(match kind {
        DefinitionKind::User => {
            answer::Item::User(t.user(id).ok_or_else(|| unknown(ErrorCode::UnknownUser))?)
        }
        DefinitionKind::Group => answer::Item::Group(
            t.group(id)
                .ok_or_else(|| unknown(ErrorCode::UnknownGroup))?,
        ),
        DefinitionKind::Role => {
            answer::Item::Role(t.role(id).ok_or_else(|| unknown(ErrorCode::UnknownRole))?)
        }
        DefinitionKind::Product => answer::Item::Product(
            t.product(id)
                .ok_or_else(|| unknown(ErrorCode::UnknownProduct))?,
        ),
        // The contract has no `unknown-module` code: a module the snapshot does not list is a
        // request that names nothing.
        DefinitionKind::Module => answer::Item::Module(
            t.listed_module(id)
                .ok_or_else(|| unknown(ErrorCode::InvalidRequest))?,
        ),
    })
}

fn known_user(t: &Tenant, id: &str) -> Result<crate::ids::UserIx, Error> {
    t.user(id).ok_or_else(|| {
        Error::new(ErrorCode::UnknownUser, format!("unknown user `{id}`")).at("$.user")
    })
}

fn known_group(t: &Tenant, id: &str) -> Result<crate::ids::GroupIx, Error> {
    t.group(id).ok_or_else(|| {
        Error::new(ErrorCode::UnknownGroup, format!("unknown group `{id}`")).at("$.group")
    })
}

/// `parseRule`, `formatRule` and `version`: the ops that need no snapshot.
pub fn answer_standalone(w: &mut Out, query: Standalone<'_>) -> Result<(), Error> {
    match query {
        Standalone::ParseRule { text } => {
            let rule = parse_rule(text).map_err(|e| e.at_if_unset("$.text"))?;
            w.obj();
            w.key("rule");
            w.value(&rule.to_json());
            w.end_obj();
        }
        Standalone::FormatRule { rule } => {
            let text = format_rule(&rule).map_err(|e| e.at_if_unset("$.rule"))?;
            w.obj();
            w.field_str("text", &text);
            w.end_obj();
        }
        Standalone::Version => {
            w.obj();
            w.field_str("version", VERSION);
            w.end_obj();
        }
    }
    Ok(())
}
