//! Deterministic demo data: the same users, organizations, workspaces, apps
//! and items, with the same ids, on every run. The public constants are the
//! well-known objects tests and `portico dev` rely on.
//!
//! Varied values come from a fixed-seed generator, never from the clock.

mod apps;
mod comments;
mod items;
mod keys;
mod members;
mod notifications;
mod people;
mod tasks;
mod views;

use crate::world::World;

pub(crate) use keys::API_KEYS;

/// OAuth client id of the server's shared API key, the one `portico dev`
/// uses. Registered for [`DEV_KEY_DOMAIN`]; like every seeded key it also
/// accepts loopback redirect URIs (`localhost`, `127.0.0.1`, any port).
pub const DEV_CLIENT_ID: &str = "portico-dev";
/// OAuth client secret of [`DEV_CLIENT_ID`].
pub const DEV_CLIENT_SECRET: &str = "portico-dev-secret";
/// Domain registered for [`DEV_CLIENT_ID`].
pub const DEV_KEY_DOMAIN: &str = "portico.example";
/// Name the allow page shows for [`DEV_CLIENT_ID`].
pub const DEV_KEY_NAME: &str = "Portico";

/// OAuth client id of an API key the demo user Jane created for her own
/// Portico. Registered for [`JANE_KEY_DOMAIN`], plus loopback.
pub const JANE_CLIENT_ID: &str = "jane-portico";
/// OAuth client secret of [`JANE_CLIENT_ID`].
pub const JANE_CLIENT_SECRET: &str = "jane-portico-secret";
/// Domain registered for [`JANE_CLIENT_ID`].
pub const JANE_KEY_DOMAIN: &str = "jane.example";
/// Name the allow page shows for [`JANE_CLIENT_ID`].
pub const JANE_KEY_NAME: &str = "Jane's Portico";

/// OAuth client id of an API key Bob Roe created. Registered for
/// [`BOB_KEY_DOMAIN`], plus loopback.
pub const BOB_CLIENT_ID: &str = "bob-portico";
/// OAuth client secret of [`BOB_CLIENT_ID`].
pub const BOB_CLIENT_SECRET: &str = "bob-portico-secret";
/// Domain registered for [`BOB_CLIENT_ID`].
pub const BOB_KEY_DOMAIN: &str = "bob.example";
/// Name the allow page shows for [`BOB_CLIENT_ID`].
pub const BOB_KEY_NAME: &str = "Bob's Portico";

/// Login e-mail of the demo user, Jane Doe ([`DEMO_USER_ID`]). Jane sees
/// Acme Inc (workspaces Sales, Support, Marketing) and Northwind Studio
/// (Projects), but not Leadership ([`PRIVATE_SPACE_ID`]: 403).
pub const DEV_USERNAME: &str = "demo@example.com";
/// Password of the demo user.
pub const DEV_PASSWORD: &str = "demo-password";
/// Login e-mail of Bob Roe ([`BOB_USER_ID`]). Bob sees only Acme Inc, with
/// Sales, Marketing and Leadership ([`PRIVATE_SPACE_ID`], which Jane cannot
/// see); Support ([`SUPPORT_SPACE_ID`]) and Northwind Studio are 403 for him.
pub const BOB_USERNAME: &str = "bob.roe@example.com";
/// Password of Bob Roe.
pub const BOB_PASSWORD: &str = "bob-password";
/// Login e-mail of Carla Diaz ([`CARLA_USER_ID`]). Carla sees only Acme Inc,
/// with Sales and Support; Marketing, Leadership and Northwind Studio are
/// 403 for her.
pub const CARLA_USERNAME: &str = "carla.diaz@example.com";
/// Password of Carla Diaz.
pub const CARLA_PASSWORD: &str = "carla-password";

/// User id of the demo user, Jane Doe.
pub const DEMO_USER_ID: u64 = 1_337_749;
/// Profile id of the demo user (what contact fields reference).
pub const DEMO_PROFILE_ID: u64 = 67_160_609;
/// User id of Bob Roe, a colleague in Sales, Marketing and Leadership.
pub const BOB_USER_ID: u64 = 1_337_750;
/// Profile id of Bob Roe.
pub const BOB_PROFILE_ID: u64 = 67_160_610;
/// User id of Carla Diaz, a colleague in Sales and Support.
pub const CARLA_USER_ID: u64 = 1_337_751;
/// Profile id of Carla Diaz.
pub const CARLA_PROFILE_ID: u64 = 67_160_611;
/// User id of Dev Patel, admin of the Leadership space. He has no password:
/// he cannot log in.
pub const DEV_PATEL_USER_ID: u64 = 1_337_752;
/// Profile id of Dev Patel.
pub const DEV_PATEL_PROFILE_ID: u64 = 67_160_612;

/// Organization "Acme Inc".
pub const ORG_ID: u64 = 720_690;
/// Organization "Northwind Studio", the demo user's second, small org.
pub const SECOND_ORG_ID: u64 = 720_691;

/// Workspace "Sales" in Acme (Companies and Deals).
pub const SALES_SPACE_ID: u64 = 2_501_464;
/// Workspace "Support" in Acme (Tickets).
pub const SUPPORT_SPACE_ID: u64 = 2_501_470;
/// Workspace "Marketing" in Acme (no apps).
pub const MARKETING_SPACE_ID: u64 = 2_501_475;
/// Workspace "Leadership" in Acme: the demo user is not a member (403).
pub const PRIVATE_SPACE_ID: u64 = 2_501_480;
/// Workspace "Projects" in Northwind Studio.
pub const SECOND_ORG_SPACE_ID: u64 = 2_501_490;

/// App "Companies" in Sales.
pub const COMPANIES_APP_ID: u64 = 5_551_200;
/// App "Deals" in Sales.
pub const DEALS_APP_ID: u64 = 5_551_234;
/// App "Tickets" in Support.
pub const TICKETS_APP_ID: u64 = 5_551_300;
/// App "Board Minutes" in the Leadership space (403 for the demo user).
pub const PRIVATE_APP_ID: u64 = 5_551_400;

/// The deal "Acme Corp renewal", with a value in every Deals field type.
pub const DEMO_ITEM_ID: u64 = 987_654_321;
/// The first company, "Acme Corp".
pub const ACME_COMPANY_ITEM_ID: u64 = 123_450_001;
/// An item in the Leadership space (403 for the demo user).
pub const PRIVATE_ITEM_ID: u64 = 987_656_001;

/// Number of seeded companies.
pub const COMPANY_COUNT: u64 = 8;
/// Number of seeded deals.
pub const DEAL_COUNT: u64 = 30;
/// Number of seeded tickets.
pub const TICKET_COUNT: u64 = 10;

/// Task "Send contract to Acme" on the demo item, the demo user responsible.
pub const DEMO_TASK_ID: u64 = 15_126;
/// Bob's private task in Sales: the demo user sees the space, not the task.
pub const PRIVATE_TASK_ID: u64 = 15_135;
/// A task on a Leadership item (403 for the demo user).
pub const HIDDEN_TASK_ID: u64 = 15_136;
/// Number of seeded tasks the demo user can see.
pub const VISIBLE_TASK_COUNT: usize = 10;
/// The one comment on the demo item (by Bob Roe).
pub const DEMO_COMMENT_ID: u64 = 3_344_556;
/// Unread notifications of the demo user.
pub const DEMO_UNREAD_NOTIFICATIONS: usize = 4;
/// Notifications of the demo user.
pub const DEMO_NOTIFICATIONS: usize = 8;

/// An uploaded image (`logo.png`), the demo deal's logo.
pub const LOGO_FILE_ID: u64 = 1_012_345_674;
/// An uploaded PDF (`contract.pdf`), the demo deal's contract.
pub const CONTRACT_FILE_ID: u64 = 1_012_345_675;
/// An uploaded image (`brochure.jpg`) no item uses yet.
pub const BROCHURE_FILE_ID: u64 = 1_012_345_676;
/// The demo deal's website embed (<https://acme.example/>).
pub const DEMO_EMBED_ID: u64 = 88_001;

/// Team view "Open deals" on Deals, by Bob: stage Lead, Qualified or
/// Negotiation, soonest close date first.
pub const OPEN_DEALS_VIEW_ID: u64 = 41_000_001;
/// Team view "Big deals" on Deals, by the demo user: deal value 20,000 or
/// more, largest first.
pub const BIG_DEALS_VIEW_ID: u64 = 41_000_002;
/// The demo user's private view "My deals": owner is the demo user.
pub const MY_DEALS_VIEW_ID: u64 = 41_000_003;
/// Carla's private view on Deals, hidden from the demo user (403).
pub const CARLA_PRIVATE_VIEW_ID: u64 = 41_000_004;
/// The standard "All Deals" view, listed with `include_standard_views`.
pub const ALL_DEALS_VIEW_ID: u64 = 41_000_100;

/// Field ids of the Deals app.
pub mod deals {
    /// text "Title".
    pub const TITLE: u64 = 69_524_902;
    /// contact "Owner".
    pub const OWNER: u64 = 69_524_903;
    /// category "Stage".
    pub const STAGE: u64 = 69_524_905;
    /// date "Close date".
    pub const CLOSE_DATE: u64 = 69_524_906;
    /// embed "Website".
    pub const WEBSITE: u64 = 69_524_907;
    /// location "Site".
    pub const LOCATION: u64 = 69_524_908;
    /// number "Seats".
    pub const SEATS: u64 = 69_524_910;
    /// money "Deal value" (EUR).
    pub const DEAL_VALUE: u64 = 69_524_911;
    /// app "Company" (references Companies).
    pub const COMPANY: u64 = 69_524_912;
    /// email "Buyer email".
    pub const EMAIL: u64 = 69_524_913;
    /// phone "Buyer phone".
    pub const PHONE: u64 = 69_524_914;
    /// duration "Time spent".
    pub const TIME_SPENT: u64 = 69_524_915;
    /// progress "Progress".
    pub const PROGRESS: u64 = 69_524_916;
    /// calculation "Value per seat" (deal value / seats).
    pub const VALUE_PER_SEAT: u64 = 69_524_917;
    /// text "Notes" (large, html).
    pub const NOTES: u64 = 69_524_919;
    /// A deleted text field, listed by GET /app with status deleted.
    pub const DELETED_FIELD: u64 = 69_524_920;
    /// image "Logo".
    pub const LOGO: u64 = 69_524_918;
    /// category "Products", several options may be selected.
    pub const PRODUCTS: u64 = 69_524_921;
    /// file "Contract".
    pub const CONTRACT: u64 = 69_524_922;

    /// Products option "CRM".
    pub const PRODUCT_CRM: u64 = 1;
    /// Products option "Analytics".
    pub const PRODUCT_ANALYTICS: u64 = 2;
    /// Products option "Support".
    pub const PRODUCT_SUPPORT: u64 = 3;
    /// Products option "Training".
    pub const PRODUCT_TRAINING: u64 = 4;

    /// Stage option "Lead".
    pub const STAGE_LEAD: u64 = 1;
    /// Stage option "Qualified".
    pub const STAGE_QUALIFIED: u64 = 2;
    /// Stage option "Negotiation".
    pub const STAGE_NEGOTIATION: u64 = 3;
    /// Stage option "Won".
    pub const STAGE_WON: u64 = 4;
    /// Stage option "Lost".
    pub const STAGE_LOST: u64 = 5;
    /// Stage option "Old stage", deleted (kept with status deleted).
    pub const STAGE_DELETED: u64 = 6;
}

/// The seeded world.
pub(crate) fn world() -> World {
    let mut world = World::default();
    people::add(&mut world);
    apps::add(&mut world);
    items::add(&mut world);
    views::add(&mut world);
    members::add(&mut world);
    tasks::add(&mut world);
    comments::add(&mut world);
    notifications::add(&mut world);
    world
}

/// A small fixed-seed generator (SplitMix64), so demo values vary but are
/// identical on every run.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_and_complete() {
        let a = world();
        let b = world();
        assert_eq!(format!("{:?}", a.items), format!("{:?}", b.items));
        assert_eq!(a.items_of(COMPANIES_APP_ID).count() as u64, COMPANY_COUNT);
        assert_eq!(a.items_of(DEALS_APP_ID).count() as u64, DEAL_COUNT);
        assert_eq!(a.items_of(TICKETS_APP_ID).count() as u64, TICKET_COUNT);
        let demo = &a.items[&DEMO_ITEM_ID];
        let deals = &a.apps[&DEALS_APP_ID];
        for field in deals.fields.iter().filter(|f| f.active) {
            let has = demo.values.contains_key(&field.field_id) || demo.numeric(field).is_some();
            assert!(has, "demo item lacks {}", field.external_id);
        }
        assert!(a.spaces[&PRIVATE_SPACE_ID].role_of(DEMO_USER_ID).is_none());
        let titles: std::collections::BTreeSet<String> = a
            .items_of(DEALS_APP_ID)
            .map(|i| crate::world::render::title(deals, i))
            .collect();
        assert_eq!(titles.len() as u64, DEAL_COUNT, "deal titles are distinct");
    }
}
