//! Seeded items: companies, deals (one of them the fully populated demo
//! item), tickets and board minutes.

use std::collections::{BTreeMap, BTreeSet};

use super::apps::{companies, minutes, tickets};
use super::*;
use crate::dates::{date_from_days, days_from_date};
use crate::world::World;
use crate::world::model::{DateValue, Embed, FieldValue, FileObject, Item, Location};

/// Name, industry option, domain, address, phone of each company.
struct Company {
    name: &'static str,
    industry: u64,
    domain: Option<&'static str>,
    street: &'static str,
    postal_code: &'static str,
    city: &'static str,
    country: &'static str,
    lat: f64,
    lng: f64,
    phone: Option<&'static str>,
}

const COMPANIES: [Company; 8] = [
    Company {
        name: "Acme Corp",
        industry: 1,
        domain: Some("acme.example"),
        street: "Vesterbrogade 34",
        postal_code: "1620",
        city: "Copenhagen",
        country: "Denmark",
        lat: 55.672_558_1,
        lng: 12.556_451_2,
        phone: Some("+45 20 30 40 50"),
    },
    Company {
        name: "Globex Corporation",
        industry: 2,
        domain: Some("globex.example"),
        street: "Friedrichstrasse 68",
        postal_code: "10117",
        city: "Berlin",
        country: "Germany",
        lat: 52.511_1,
        lng: 13.389_7,
        phone: Some("+49 30 1234 5678"),
    },
    Company {
        name: "Initech",
        industry: 1,
        domain: Some("initech.example"),
        street: "Rue de Rivoli 99",
        postal_code: "75001",
        city: "Paris",
        country: "France",
        lat: 48.860_6,
        lng: 2.337_6,
        phone: Some("+33 1 42 60 30 00"),
    },
    Company {
        name: "Umbrella Health",
        industry: 4,
        domain: Some("umbrella.example"),
        street: "Kalverstraat 92",
        postal_code: "1012 PH",
        city: "Amsterdam",
        country: "Netherlands",
        lat: 52.370_2,
        lng: 4.891_7,
        phone: None,
    },
    Company {
        name: "Stark Logistics",
        industry: 6,
        domain: Some("stark.example"),
        street: "Drottninggatan 55",
        postal_code: "111 21",
        city: "Stockholm",
        country: "Sweden",
        lat: 59.332_6,
        lng: 18.064_9,
        phone: Some("+46 8 123 456 78"),
    },
    Company {
        name: "Wayne Retail",
        industry: 3,
        domain: Some("wayne.example"),
        street: "Oxford Street 200",
        postal_code: "W1D 1NU",
        city: "London",
        country: "United Kingdom",
        lat: 51.515_4,
        lng: -0.141_0,
        phone: Some("+44 20 7946 0000"),
    },
    Company {
        name: "Hooli Finance",
        industry: 5,
        domain: None,
        street: "Bahnhofstrasse 45",
        postal_code: "8001",
        city: "Zurich",
        country: "Switzerland",
        lat: 47.371_7,
        lng: 8.539_3,
        phone: Some("+41 44 123 45 67"),
    },
    Company {
        name: "Soylent Foods",
        industry: 3,
        domain: Some("soylent.example"),
        street: "Gran Via 28",
        postal_code: "28013",
        city: "Madrid",
        country: "Spain",
        lat: 40.420_0,
        lng: -3.702_5,
        phone: None,
    },
];

const DEAL_KINDS: [&str; 7] = [
    "renewal",
    "expansion",
    "pilot",
    "upgrade",
    "onboarding",
    "support plan",
    "migration",
];
const PRICE_PER_SEAT: [u64; 7] = [80, 120, 150, 200, 250, 300, 450];
const OWNERS: [u64; 3] = [DEMO_PROFILE_ID, BOB_PROFILE_ID, CARLA_PROFILE_ID];
const CREATORS: [u64; 3] = [DEMO_USER_ID, BOB_USER_ID, CARLA_USER_ID];

const TICKETS: [(&str, &str); 10] = [
    (
        "Cannot log in after password reset",
        "<p>The reset link works but the new password is rejected.</p>",
    ),
    (
        "Invoice shows wrong VAT number",
        "<p>Our VAT number changed in January; invoices still show the old one.</p>",
    ),
    (
        "Export to Excel times out",
        "<p>Exporting the full Deals app stops after about a minute.</p>",
    ),
    (
        "Request: dark mode",
        "<p>Several users asked for a dark theme.</p>",
    ),
    (
        "Webhook deliveries delayed",
        "<p>Webhooks arrive 10–15 minutes late since Tuesday.</p>",
    ),
    (
        "Add seats to our plan",
        "<p>We need 5 more seats for the new support hires.</p>",
    ),
    (
        "Mobile app crashes on upload",
        "<p>Uploading a photo from Android crashes the app.</p>",
    ),
    (
        "Calendar sync missing events",
        "<p>Meetings created in Podio do not show in Outlook.</p>",
    ),
    (
        "Question about data retention",
        "<p>How long are deleted items kept?</p>",
    ),
    (
        "SSO certificate expiring",
        "<p>Our SAML certificate expires next month; how do we rotate it?</p>",
    ),
];

fn date(days: i64) -> FieldValue {
    FieldValue::Date {
        start: DateValue {
            date: date_from_days(days),
            time: None,
        },
        end: None,
    }
}

fn stamp(days: i64, hour: u64, minute: u64) -> String {
    format!("{} {hour:02}:{minute:02}:00", date_from_days(days))
}

fn location(c: &Company) -> FieldValue {
    FieldValue::Location(Location {
        street: c.street.to_owned(),
        postal_code: c.postal_code.to_owned(),
        city: c.city.to_owned(),
        country: c.country.to_owned(),
        lat: Some(c.lat),
        lng: Some(c.lng),
    })
}

fn website(embed_id: u64, c: &Company, domain: &str) -> FieldValue {
    FieldValue::Embed(Embed {
        embed_id,
        url: format!("https://{domain}/"),
        title: c.name.to_owned(),
        description: format!("{} — official website", c.name),
    })
}

fn company_item_id(index: usize) -> u64 {
    ACME_COMPANY_ITEM_ID + index as u64
}

fn add_companies(world: &mut World) {
    let base = days_from_date(2023, 9, 4);
    for (i, c) in COMPANIES.iter().enumerate() {
        let n = i as u64;
        let mut values = BTreeMap::new();
        values.insert(companies::TITLE, vec![FieldValue::Text(c.name.to_owned())]);
        values.insert(companies::INDUSTRY, vec![FieldValue::Category(c.industry)]);
        if let Some(domain) = c.domain {
            values.insert(companies::WEBSITE, vec![website(88_100 + n, c, domain)]);
            values.insert(
                companies::EMAIL,
                vec![FieldValue::Email {
                    kind: "work".to_owned(),
                    address: format!("info@{domain}"),
                }],
            );
        }
        values.insert(companies::LOCATION, vec![location(c)]);
        if let Some(phone) = c.phone {
            values.insert(
                companies::PHONE,
                vec![FieldValue::Phone {
                    kind: "work".to_owned(),
                    number: phone.to_owned(),
                }],
            );
        }
        let created = stamp(base + 9 * i as i64, 10 + n % 6, 5 * n);
        let item = Item {
            item_id: company_item_id(i),
            app_id: COMPANIES_APP_ID,
            app_item_id: n + 1,
            created_on: created.clone(),
            created_by: CREATORS[i % 3],
            last_event_on: created,
            revision: 0,
            values,
            external_id: None,
            tags: Vec::new(),
            created_by_app: None,
        };
        world.items.insert(item.item_id, item);
    }
}

/// The demo deal, with a value in every field type of the Deals app.
fn demo_deal_values() -> BTreeMap<u64, Vec<FieldValue>> {
    let acme = &COMPANIES[0];
    BTreeMap::from([
        (
            deals::TITLE,
            vec![FieldValue::Text("Acme Corp renewal".to_owned())],
        ),
        (deals::SEATS, vec![FieldValue::Number(25.0)]),
        (
            deals::DEAL_VALUE,
            vec![FieldValue::Money {
                amount: 12_500.0,
                currency: "EUR".to_owned(),
            }],
        ),
        (
            deals::STAGE,
            vec![FieldValue::Category(deals::STAGE_NEGOTIATION)],
        ),
        (deals::CLOSE_DATE, vec![date(days_from_date(2024, 4, 30))]),
        (
            deals::COMPANY,
            vec![FieldValue::AppRef(ACME_COMPANY_ITEM_ID)],
        ),
        (deals::OWNER, vec![FieldValue::Contact(DEMO_PROFILE_ID)]),
        (
            deals::EMAIL,
            vec![FieldValue::Email {
                kind: "work".to_owned(),
                address: "buyer@acme.example".to_owned(),
            }],
        ),
        (
            deals::PHONE,
            vec![FieldValue::Phone {
                kind: "mobile".to_owned(),
                number: "+45 20 30 40 50".to_owned(),
            }],
        ),
        (deals::LOCATION, vec![location(acme)]),
        (
            deals::WEBSITE,
            vec![website(DEMO_EMBED_ID, acme, "acme.example")],
        ),
        (
            deals::PRODUCTS,
            vec![
                FieldValue::Category(deals::PRODUCT_CRM),
                FieldValue::Category(deals::PRODUCT_SUPPORT),
            ],
        ),
        (deals::LOGO, vec![FieldValue::File(LOGO_FILE_ID)]),
        (deals::CONTRACT, vec![FieldValue::File(CONTRACT_FILE_ID)]),
        (deals::TIME_SPENT, vec![FieldValue::Duration(5400)]),
        (deals::PROGRESS, vec![FieldValue::Progress(60)]),
        (
            deals::NOTES,
            vec![FieldValue::Text(
                "<p>Renewal for 25 seats; procurement wants a <strong>3-year</strong> term.</p>"
                    .to_owned(),
            )],
        ),
    ])
}

fn add_deals(world: &mut World) {
    let mut rng = SplitMix::new(0x5EED_DEA1);
    let mut products_rng = SplitMix::new(0x9E0D_0C75);
    // Distinct titles keep search results and tests unambiguous.
    let mut titles = BTreeSet::from(["Acme Corp renewal".to_owned()]);
    let created_base = days_from_date(2024, 1, 2);
    let close_base = days_from_date(2024, 1, 15);
    for i in 0..DEAL_COUNT {
        let item_id = DEMO_ITEM_ID - 20 + i;
        let idx = i as usize;
        let company = (idx * 3 + rng.below(3) as usize) % COMPANIES.len();
        let c = &COMPANIES[company];
        let stage = rng.below(5) + 1;
        let seats = (i % 7 != 3).then(|| 5 + rng.below(196));
        let value = match seats {
            Some(s) => s * PRICE_PER_SEAT[rng.below(7) as usize],
            None => (20 + rng.below(480)) * 100,
        };
        let mut values = BTreeMap::new();
        let base_title = format!("{} {}", c.name, DEAL_KINDS[rng.below(7) as usize]);
        let title = (1..)
            .map(|phase| match phase {
                1 => base_title.clone(),
                n => format!("{base_title} phase {n}"),
            })
            .find(|t| !titles.contains(t))
            .unwrap_or_default();
        titles.insert(title.clone());
        values.insert(deals::TITLE, vec![FieldValue::Text(title)]);
        if let Some(s) = seats {
            values.insert(deals::SEATS, vec![FieldValue::Number(s as f64)]);
        }
        values.insert(
            deals::DEAL_VALUE,
            vec![FieldValue::Money {
                amount: value as f64,
                currency: "EUR".to_owned(),
            }],
        );
        values.insert(deals::STAGE, vec![FieldValue::Category(stage)]);
        // Products come from their own generator so the other seeded values
        // keep the ones they had before the field existed.
        let products: Vec<FieldValue> = (deals::PRODUCT_CRM..=deals::PRODUCT_TRAINING)
            .filter(|_| products_rng.below(3) == 0)
            .map(FieldValue::Category)
            .collect();
        if !products.is_empty() {
            values.insert(deals::PRODUCTS, products);
        }
        if i % 6 != 5 {
            values.insert(
                deals::CLOSE_DATE,
                vec![date(close_base + rng.below(340) as i64)],
            );
        }
        values.insert(
            deals::COMPANY,
            vec![FieldValue::AppRef(company_item_id(company))],
        );
        values.insert(deals::OWNER, vec![FieldValue::Contact(OWNERS[idx % 3])]);
        if i % 4 != 1 {
            let progress = match stage {
                deals::STAGE_LEAD => 10,
                deals::STAGE_QUALIFIED => 30,
                deals::STAGE_NEGOTIATION => 60,
                deals::STAGE_WON => 100,
                _ => 0,
            };
            values.insert(deals::PROGRESS, vec![FieldValue::Progress(progress)]);
        }
        if i % 3 != 2 {
            values.insert(
                deals::TIME_SPENT,
                vec![FieldValue::Duration((rng.below(40) + 1) * 900)],
            );
        }
        if i % 5 == 0 {
            values.insert(deals::LOCATION, vec![location(c)]);
        }
        let created_day = created_base + ((i * 11) % 60) as i64 + rng.below(3) as i64;
        let created = stamp(created_day, 8 + rng.below(9), rng.below(60));
        let edit_days = rng.below(20) as i64;
        let (last_event_on, revision) = if edit_days == 0 {
            (created.clone(), 0)
        } else {
            (stamp(created_day + edit_days, 17, 30), 1 + rng.below(4))
        };
        let mut item = Item {
            item_id,
            app_id: DEALS_APP_ID,
            app_item_id: i + 1,
            created_on: created,
            created_by: CREATORS[idx % 3],
            last_event_on,
            revision,
            values,
            external_id: None,
            tags: Vec::new(),
            created_by_app: None,
        };
        if item_id == DEMO_ITEM_ID {
            item.values = demo_deal_values();
            item.created_on = "2024-03-01 09:15:00".to_owned();
            item.created_by = DEMO_USER_ID;
            item.last_event_on = "2024-03-05 11:00:00".to_owned();
            item.revision = 3;
        }
        world.items.insert(item_id, item);
    }
}

fn add_tickets(world: &mut World) {
    let mut rng = SplitMix::new(0x071C_4E75);
    let base = days_from_date(2024, 2, 1);
    for (i, (subject, description)) in TICKETS.iter().enumerate() {
        let n = i as u64;
        let values = BTreeMap::from([
            (
                tickets::TITLE,
                vec![FieldValue::Text((*subject).to_owned())],
            ),
            (
                tickets::PRIORITY,
                vec![FieldValue::Category(rng.below(4) + 1)],
            ),
            (
                tickets::STATUS,
                vec![FieldValue::Category(rng.below(4) + 1)],
            ),
            (
                tickets::DESCRIPTION,
                vec![FieldValue::Text((*description).to_owned())],
            ),
        ]);
        let created = stamp(base + 4 * i as i64, 9 + rng.below(8), rng.below(60));
        let item = Item {
            item_id: 987_655_001 + n,
            app_id: TICKETS_APP_ID,
            app_item_id: n + 1,
            created_on: created.clone(),
            created_by: if i % 2 == 0 {
                DEMO_USER_ID
            } else {
                CARLA_USER_ID
            },
            last_event_on: created,
            revision: 0,
            values,
            external_id: None,
            tags: Vec::new(),
            created_by_app: None,
        };
        world.items.insert(item.item_id, item);
    }
}

fn add_minutes(world: &mut World) {
    for (n, (title, day)) in [
        ("Q1 board meeting", days_from_date(2024, 3, 28)),
        ("Q2 board meeting", days_from_date(2024, 6, 27)),
    ]
    .into_iter()
    .enumerate()
    {
        let n = n as u64;
        let values = BTreeMap::from([
            (minutes::TITLE, vec![FieldValue::Text(title.to_owned())]),
            (
                minutes::MEETING_DATE,
                vec![FieldValue::Date {
                    start: DateValue {
                        date: date_from_days(day),
                        time: Some("14:00:00".to_owned()),
                    },
                    end: Some(DateValue {
                        date: date_from_days(day),
                        time: Some("16:00:00".to_owned()),
                    }),
                }],
            ),
        ]);
        let created = stamp(day - 7, 9, 0);
        let item = Item {
            item_id: PRIVATE_ITEM_ID + n,
            app_id: PRIVATE_APP_ID,
            app_item_id: n + 1,
            created_on: created.clone(),
            created_by: DEV_PATEL_USER_ID,
            last_event_on: created,
            revision: 0,
            values,
            external_id: None,
            tags: Vec::new(),
            created_by_app: None,
        };
        world.items.insert(item.item_id, item);
    }
}

/// The uploaded files image and file fields may reference.
fn add_files(world: &mut World) {
    for (file_id, name, mimetype, size) in [
        (LOGO_FILE_ID, "logo.png", "image/png", 24_576),
        (CONTRACT_FILE_ID, "contract.pdf", "application/pdf", 182_340),
        (BROCHURE_FILE_ID, "brochure.jpg", "image/jpeg", 301_112),
    ] {
        world.files.insert(
            file_id,
            FileObject {
                file_id,
                name: name.to_owned(),
                mimetype: mimetype.to_owned(),
                size,
                created_on: "2024-02-20 10:00:00".to_owned(),
            },
        );
    }
}

/// Registers the embeds the seeded items use, so their ids can be written
/// into embed fields like ones made by `POST /embed/`.
fn register_embeds(world: &mut World) {
    let embeds: Vec<Embed> = world
        .items
        .values()
        .flat_map(|i| i.values.values().flatten())
        .filter_map(|v| match v {
            FieldValue::Embed(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    for e in embeds {
        world.embeds.insert(e.embed_id, e);
    }
}

/// Adds every seeded item, and the files and embeds they reference.
pub(super) fn add(world: &mut World) {
    add_files(world);
    add_companies(world);
    add_deals(world);
    add_tickets(world);
    add_minutes(world);
    register_embeds(world);
}
