//! The tenant written back as a snapshot (SPEC §1): one item (`definition`) or all of it
//! (`snapshot`), as the document now defines it after every applied change.
//!
//! INVARIANT: loading what [`Tenant::write_snapshot`] writes gives a tenant that answers every
//! request exactly as this one does, diagnostics and their paths included. So items go in
//! document order, and lists keep what produced a diagnostic: dangling references, duplicate
//! entries, member entries whose timestamps do not parse, an invalid rule or slug, an unknown
//! `orgRole`, attributes of a type §1 does not allow. Keys are written in byte order (SPEC §2),
//! which the order of diagnostics does not depend on (`notes`).
//!
//! What is not written: keys this contract does not know, keys whose value is `null` or the
//! default (`isActive: true`, an empty list…), and the order and repeats of a role's
//! permissions, which are a set. None of them changes any answer.

use crate::ids::{GroupIx, Ix, ModuleIx, ProductIx, RoleIx, UserIx};
use crate::json::Writer;
use crate::snapshot::{Localized, OrgRole};

use super::attrs::AttrValue;
use super::store::DocOrder;
use super::Tenant;
use crate::ids::NO_INDEX;

/// The slots of one list in document order.
fn in_document(doc: &DocOrder) -> Vec<usize> {
    let positions = doc.positions();
    let mut out: Vec<(u32, usize)> = positions
        .iter()
        .enumerate()
        .filter(|(_, &p)| p != NO_INDEX)
        .map(|(slot, &p)| (p, slot))
        .collect();
    out.sort_unstable();
    out.into_iter().map(|(_, slot)| slot).collect()
}

fn localized(w: &mut Writer, name: &Localized) {
    match name {
        Localized::Plain(text) => w.str(text),
        Localized::PerLocale(entries) => {
            let mut sorted: Vec<&(String, String)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            w.obj();
            for (locale, text) in sorted {
                w.field_str(locale, text);
            }
            w.end_obj();
        }
    }
}

/// `key: [ids]` when the list is not empty.
fn id_list<'a>(w: &mut Writer, key: &str, ids: impl ExactSizeIterator<Item = &'a str>) {
    if ids.len() > 0 {
        w.key(key);
        w.str_list(ids);
    }
}

fn opt_field(w: &mut Writer, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        w.field_str(key, value);
    }
}

impl Tenant {
    /// The module with id `id` that the snapshot lists (none when it lists no modules).
    pub fn listed_module(&self, id: &str) -> Option<ModuleIx> {
        let c = &self.catalog;
        c.modules
            .get(id)
            .filter(|m| c.module_live.get(m.index()).copied().unwrap_or(false))
    }

    /// Writes user `u` as the snapshot defines it.
    pub fn write_user(&self, w: &mut Writer, u: UserIx) {
        let attributes = self.attrs.of_user(u);
        self.write_user_with(w, u, &attributes);
    }

    fn write_user_with(&self, w: &mut Writer, u: UserIx, attributes: &[(&str, &AttrValue)]) {
        let extra = self.users.extras.get(&u);
        w.obj();
        // Allowed values from the columns, then the ignored ones as written.
        let mut attrs: Vec<(&str, Result<&AttrValue, &str>)> =
            attributes.iter().map(|&(k, v)| (k, Ok(v))).collect();
        if let Some(extra) = extra {
            attrs.extend(
                extra
                    .attributes
                    .iter()
                    .map(|(k, v)| (&**k, Err(v.as_str()))),
            );
        }
        attrs.sort_by(|a, b| a.0.cmp(b.0));
        // A key given twice in one object is read once (its last allowed value).
        attrs.dedup_by(|later, earlier| later.0 == earlier.0);
        if !attrs.is_empty() {
            w.key("attributes");
            w.obj();
            for (key, value) in &attrs {
                w.key(key);
                match value {
                    Ok(AttrValue::Text { text, .. }) => w.str(text),
                    Ok(AttrValue::Other { json, .. }) => w.raw(json.as_str()),
                    Err(json) => w.raw(json),
                }
            }
            w.end_obj();
        }
        if let Some(d) = self.user_dashboard(u) {
            w.key("dashboard");
            w.raw(d.as_str());
        }
        opt_field(
            w,
            "homepageModule",
            self.user_homepage(u).map(|m| self.module_id(m)),
        );
        w.field_str("id", self.user_id(u));
        opt_field(w, "locale", extra.and_then(|x| x.locale.as_deref()));
        opt_field(w, "name", self.user_name(u));
        match (extra.and_then(|x| x.org_role.as_deref()), self.org_role(u)) {
            (Some(unknown), _) => w.field_str("orgRole", unknown),
            (None, OrgRole::Member) => {}
            (None, role) => w.field_str("orgRole", role.as_str()),
        }
        if self.prevents_redirect(u) {
            w.key("preventHomepageRedirect");
            w.bool(true);
        }
        opt_field(
            w,
            "primaryGroup",
            self.users
                .primary
                .get(u.index())
                .filter(|&&g| g != NO_INDEX)
                .map(|&g| self.group_id(GroupIx::new(g))),
        );
        let roles = self.users.roles.get(u.index());
        id_list(w, "roles", roles.iter().map(|&r| self.role_id(r)));
        w.end_obj();
    }

    /// Writes group `g` as the snapshot defines it.
    pub fn write_group(&self, w: &mut Writer, g: GroupIx) {
        let def = self.def(g);
        w.obj();
        opt_field(w, "avatar", def.avatar.as_deref());
        opt_field(w, "createdAt", def.created_at.as_deref());
        opt_field(w, "createdBy", def.created_by.as_deref());
        if let Some(d) = &def.dashboard {
            w.key("dashboard");
            w.raw(d.as_str());
        }
        if let Some(d) = &def.draft {
            w.key("dashboardDraft");
            w.raw(d.as_str());
        }
        opt_field(w, "description", def.description.as_deref());
        opt_field(w, "homepageModule", def.homepage.map(|m| self.module_id(m)));
        w.field_str("id", self.group_id(g));
        id_list(
            w,
            "includeGroups",
            def.include.iter().map(|&s| self.group_id(s)),
        );
        if !def.active {
            w.key("isActive");
            w.bool(false);
        }
        if !def.visible {
            w.key("isVisible");
            w.bool(false);
        }
        if !def.entries.is_empty() {
            w.key("members");
            w.arr();
            for entry in &def.entries {
                let user = self.user_id(entry.user);
                let stamps = def.stamps.get(entry.stamps as usize);
                match stamps {
                    Some([added, starts, expires]) => {
                        w.obj();
                        opt_field(w, "addedAt", added.as_ref().map(|s| s.text.as_str()));
                        opt_field(w, "expiresAt", expires.as_ref().map(|s| s.text.as_str()));
                        opt_field(w, "startsAt", starts.as_ref().map(|s| s.text.as_str()));
                        w.field_str("user", user);
                        w.end_obj();
                    }
                    None => w.str(user),
                }
            }
            w.end_arr();
        }
        w.key("name");
        localized(w, &def.name);
        id_list(
            w,
            "products",
            def.products.iter().map(|&p| self.product_id(p)),
        );
        id_list(w, "roles", def.roles.iter().map(|&r| self.role_id(r)));
        match (&def.rule_source, &def.rule) {
            (Some(source), _) => {
                w.key("rule");
                w.raw(source.as_str());
            }
            (None, Some(rule)) => {
                w.key("rule");
                w.value(&rule.to_json());
            }
            (None, None) => {}
        }
        opt_field(w, "slug", def.slug.as_deref());
        w.end_obj();
    }

    /// Writes role `r` as the snapshot defines it; its permissions as a set, by text.
    pub fn write_role(&self, w: &mut Writer, r: RoleIx) {
        w.obj();
        w.field_str("id", self.role_id(r));
        w.key("name");
        localized(w, self.role_name(r).unwrap_or(&Localized::default()));
        let mut perms: Vec<&str> = self
            .role_permissions(r)
            .iter()
            .map(|&p| self.permission_text(p))
            .collect();
        perms.sort_unstable();
        perms.dedup();
        if !perms.is_empty() {
            w.key("permissions");
            w.str_list(perms);
        }
        if self.role_privileged(r) {
            w.key("privileged");
            w.bool(true);
        }
        w.end_obj();
    }

    /// Writes product `p` as the snapshot defines it.
    pub fn write_product(&self, w: &mut Writer, p: ProductIx) {
        w.obj();
        w.field_str("id", self.product_id(p));
        let name = self
            .catalog
            .product_names
            .get(p.index())
            .and_then(Option::as_deref);
        opt_field(w, "name", name);
        w.end_obj();
    }

    /// Writes module `m` as the snapshot defines it.
    pub fn write_module(&self, w: &mut Writer, m: ModuleIx) {
        let c = &self.catalog;
        w.obj();
        w.field_str("id", self.module_id(m));
        opt_field(
            w,
            "name",
            c.module_names.get(m.index()).and_then(Option::as_deref),
        );
        opt_field(
            w,
            "requiredPermission",
            c.module_required
                .get(m.index())
                .copied()
                .flatten()
                .map(|p| self.permission_text(p)),
        );
        w.end_obj();
    }

    /// Writes `key: [items]`, the items of one list in document order.
    fn write_list<I: Ix>(
        &self,
        w: &mut Writer,
        key: &str,
        doc: &DocOrder,
        write: impl Fn(&Tenant, &mut Writer, I),
    ) {
        w.key(key);
        w.arr();
        for slot in in_document(doc) {
            if w.failed() {
                break;
            }
            if let Some(item) = I::from_usize(slot) {
                write(self, w, item);
            }
        }
        w.end_arr();
    }

    /// Writes the whole snapshot the tenant answers for.
    pub fn write_snapshot(&self, w: &mut Writer) {
        let meta = &self.meta;
        let c = &self.catalog;
        w.obj();
        opt_field(w, "asOf", meta.as_of_text.as_deref());
        w.field_str("defaultLocale", &meta.default_locale);
        if let Some(d) = &meta.default_dashboard {
            w.key("defaults");
            w.obj();
            w.key("dashboard");
            w.raw(d.as_str());
            w.end_obj();
        }
        self.write_list(w, "groups", &self.groups.doc, Tenant::write_group);
        if c.modules_listed {
            self.write_list(w, "modules", &c.module_doc, Tenant::write_module);
        }
        self.write_list(w, "products", &c.product_doc, Tenant::write_product);
        opt_field(w, "revision", meta.revision.as_deref());
        self.write_list(w, "roles", &c.role_doc, Tenant::write_role);
        w.key("users");
        w.arr();
        let cells = self.attrs.every_user();
        let mut at = 0;
        let mut by_slot: Vec<(u32, u32)> = vec![(0, 0); self.user_slots()];
        while at < cells.len() {
            let u = cells.get(at).map_or(0, |c| c.0);
            let end = cells
                .get(at..)
                .and_then(|rest| rest.iter().position(|c| c.0 != u))
                .map_or(cells.len(), |n| at + n);
            if let Some(span) = by_slot.get_mut(u as usize) {
                *span = (
                    u32::try_from(at).unwrap_or(u32::MAX),
                    u32::try_from(end - at).unwrap_or(0),
                );
            }
            at = end;
        }
        for u in in_document(&self.users.doc) {
            if w.failed() {
                break;
            }
            let Some(u) = UserIx::from_usize(u) else {
                continue;
            };
            let (start, len) = by_slot.get(u.index()).copied().unwrap_or((0, 0));
            let pairs: Vec<(&str, &AttrValue)> = cells
                .get(start as usize..(start as usize).saturating_add(len as usize))
                .unwrap_or(&[])
                .iter()
                .map(|&(_, k, v)| (k, v))
                .collect();
            self.write_user_with(w, u, &pairs);
        }
        w.end_arr();
        w.end_obj();
    }
}
