//! Seeded apps and their field definitions.

use super::*;
use crate::world::World;
use crate::world::model::{App, CategoryOption, Field, FieldKind, Formula};

/// Field ids of the Companies app.
pub(super) mod companies {
    pub const TITLE: u64 = 69_524_801;
    pub const INDUSTRY: u64 = 69_524_802;
    pub const WEBSITE: u64 = 69_524_803;
    pub const LOCATION: u64 = 69_524_804;
    pub const EMAIL: u64 = 69_524_805;
    pub const PHONE: u64 = 69_524_806;
}

/// Field ids of the Tickets app.
pub(super) mod tickets {
    pub const TITLE: u64 = 69_525_001;
    pub const PRIORITY: u64 = 69_525_002;
    pub const STATUS: u64 = 69_525_003;
    pub const DESCRIPTION: u64 = 69_525_004;
}

/// Field ids of the Board Minutes app.
pub(super) mod minutes {
    pub const TITLE: u64 = 69_526_001;
    pub const MEETING_DATE: u64 = 69_526_002;
}

fn field(field_id: u64, external_id: &str, label: &str, kind: FieldKind) -> Field {
    Field {
        field_id,
        external_id: external_id.to_owned(),
        label: label.to_owned(),
        description: None,
        required: false,
        active: true,
        kind,
    }
}

fn title(field_id: u64, label: &str) -> Field {
    Field {
        required: true,
        ..field(
            field_id,
            "title",
            label,
            FieldKind::Text {
                large: false,
                format: "plain",
            },
        )
    }
}

fn options(list: &[(u64, &str, &str)]) -> Vec<CategoryOption> {
    list.iter()
        .map(|(id, text, color)| CategoryOption {
            id: *id,
            text: (*text).to_owned(),
            active: true,
            color: (*color).to_owned(),
        })
        .collect()
}

fn category(field_id: u64, external_id: &str, label: &str, opts: Vec<CategoryOption>) -> Field {
    field(
        field_id,
        external_id,
        label,
        FieldKind::Category {
            options: opts,
            multiple: false,
        },
    )
}

/// A stable 32-hex-digit app token derived from the app id.
fn app_token(app_id: u64) -> String {
    let mut rng = SplitMix::new(app_id ^ 0xA5A5_5A5A_0F0F_F0F0);
    format!("{:016x}{:016x}", rng.next(), rng.next())
}

#[allow(clippy::too_many_arguments)]
fn app(
    app_id: u64,
    space_id: u64,
    name: &str,
    item_name: &str,
    url_label: &str,
    icon: &str,
    description: &str,
    fields: Vec<Field>,
) -> App {
    App {
        app_id,
        space_id,
        name: name.to_owned(),
        item_name: item_name.to_owned(),
        url_label: url_label.to_owned(),
        icon: icon.to_owned(),
        description: description.to_owned(),
        token: app_token(app_id),
        current_revision: 12,
        owner: DEMO_USER_ID,
        fields,
    }
}

fn deals_fields() -> Vec<Field> {
    let mut stages = options(&[
        (deals::STAGE_LEAD, "Lead", "D2E4EB"),
        (deals::STAGE_QUALIFIED, "Qualified", "DCEBD8"),
        (deals::STAGE_NEGOTIATION, "Negotiation", "F7D1D0"),
        (deals::STAGE_WON, "Won", "9BD6A0"),
        (deals::STAGE_LOST, "Lost", "E1E1E1"),
    ]);
    stages.push(CategoryOption {
        id: deals::STAGE_DELETED,
        text: "Old stage".to_owned(),
        active: false,
        color: "E1E1E1".to_owned(),
    });
    vec![
        title(deals::TITLE, "Title"),
        field(
            deals::SEATS,
            "seats",
            "Seats",
            FieldKind::Number { decimals: 0 },
        ),
        field(
            deals::DEAL_VALUE,
            "deal-value",
            "Deal value",
            FieldKind::Money {
                currencies: vec!["EUR".to_owned()],
            },
        ),
        category(deals::STAGE, "stage", "Stage", stages),
        field(
            deals::PRODUCTS,
            "products",
            "Products",
            FieldKind::Category {
                options: options(&[
                    (deals::PRODUCT_CRM, "CRM", "D2E4EB"),
                    (deals::PRODUCT_ANALYTICS, "Analytics", "F7F0C5"),
                    (deals::PRODUCT_SUPPORT, "Support", "DCEBD8"),
                    (deals::PRODUCT_TRAINING, "Training", "E9D8F2"),
                ]),
                multiple: true,
            },
        ),
        field(
            deals::CLOSE_DATE,
            "close-date",
            "Close date",
            FieldKind::Date { time: false },
        ),
        field(
            deals::COMPANY,
            "company",
            "Company",
            FieldKind::App {
                referenced_apps: vec![COMPANIES_APP_ID],
                multiple: false,
            },
        ),
        field(deals::OWNER, "owner", "Owner", FieldKind::Contact),
        field(deals::EMAIL, "buyer-email", "Buyer email", FieldKind::Email),
        field(deals::PHONE, "buyer-phone", "Buyer phone", FieldKind::Phone),
        field(deals::LOCATION, "site", "Site", FieldKind::Location),
        field(deals::WEBSITE, "website", "Website", FieldKind::Embed),
        field(deals::LOGO, "logo", "Logo", FieldKind::Image),
        field(deals::CONTRACT, "contract", "Contract", FieldKind::File),
        field(
            deals::TIME_SPENT,
            "time-spent",
            "Time spent",
            FieldKind::Duration,
        ),
        field(deals::PROGRESS, "progress", "Progress", FieldKind::Progress),
        Field {
            description: Some("Deal value divided by seats".to_owned()),
            ..field(
                deals::VALUE_PER_SEAT,
                "value-per-seat",
                "Value per seat",
                FieldKind::Calculation {
                    formula: Formula::Divide {
                        numerator: deals::DEAL_VALUE,
                        denominator: deals::SEATS,
                    },
                    decimals: 2,
                },
            )
        },
        field(
            deals::NOTES,
            "notes",
            "Notes",
            FieldKind::Text {
                large: true,
                format: "html",
            },
        ),
        Field {
            active: false,
            ..field(
                deals::DELETED_FIELD,
                "legacy-notes",
                "Legacy notes",
                FieldKind::Text {
                    large: false,
                    format: "plain",
                },
            )
        },
    ]
}

fn companies_fields() -> Vec<Field> {
    vec![
        title(companies::TITLE, "Company name"),
        category(
            companies::INDUSTRY,
            "industry",
            "Industry",
            options(&[
                (1, "Software", "D2E4EB"),
                (2, "Manufacturing", "F7F0C5"),
                (3, "Retail", "FFD5C2"),
                (4, "Healthcare", "DCEBD8"),
                (5, "Finance", "E9D8F2"),
                (6, "Logistics", "D1F3EC"),
            ]),
        ),
        field(companies::WEBSITE, "website", "Website", FieldKind::Embed),
        field(
            companies::LOCATION,
            "location",
            "Headquarters",
            FieldKind::Location,
        ),
        field(companies::EMAIL, "email", "Email", FieldKind::Email),
        field(companies::PHONE, "phone", "Phone", FieldKind::Phone),
    ]
}

fn tickets_fields() -> Vec<Field> {
    vec![
        title(tickets::TITLE, "Subject"),
        category(
            tickets::PRIORITY,
            "priority",
            "Priority",
            options(&[
                (1, "Low", "DCEBD8"),
                (2, "Normal", "D2E4EB"),
                (3, "High", "FFD5C2"),
                (4, "Urgent", "F7D1D0"),
            ]),
        ),
        category(
            tickets::STATUS,
            "status",
            "Status",
            options(&[
                (1, "New", "D2E4EB"),
                (2, "Open", "F7F0C5"),
                (3, "Pending", "E9D8F2"),
                (4, "Solved", "DCEBD8"),
            ]),
        ),
        field(
            tickets::DESCRIPTION,
            "description",
            "Description",
            FieldKind::Text {
                large: true,
                format: "html",
            },
        ),
    ]
}

/// Adds Companies, Deals, Tickets and Board Minutes.
pub(super) fn add(world: &mut World) {
    for a in [
        app(
            COMPANIES_APP_ID,
            SALES_SPACE_ID,
            "Companies",
            "Company",
            "companies",
            "172.png",
            "Customers and prospects",
            companies_fields(),
        ),
        app(
            DEALS_APP_ID,
            SALES_SPACE_ID,
            "Deals",
            "Deal",
            "deals",
            "55.png",
            "Sales pipeline",
            deals_fields(),
        ),
        app(
            TICKETS_APP_ID,
            SUPPORT_SPACE_ID,
            "Tickets",
            "Ticket",
            "tickets",
            "261.png",
            "Customer support requests",
            tickets_fields(),
        ),
        app(
            PRIVATE_APP_ID,
            PRIVATE_SPACE_ID,
            "Board Minutes",
            "Minutes",
            "board-minutes",
            "12.png",
            "Minutes of board meetings",
            vec![
                title(minutes::TITLE, "Title"),
                field(
                    minutes::MEETING_DATE,
                    "meeting-date",
                    "Meeting date",
                    FieldKind::Date { time: true },
                ),
            ],
        ),
    ] {
        world.apps.insert(a.app_id, a);
    }
}
